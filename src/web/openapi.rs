//! The API described for clients: `GET /api/openapi.json`, generated from the handlers' annotations
//! and the request and response types (utoipa), so it cannot drift from the code that serves it.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kaiji",
        description = "Personal-data rights requests. Public: file a request and read its status with the tracking token. Staff: bearer tokens from `kaiji token create`."
    ),
    paths(
        super::filing::create_request,
        super::filing::request_status,
        super::procedures::api,
        super::api::request_detail,
        super::api::fire_event,
        super::filing::register_postal,
        super::api::identity_data_points,
        super::api::identity_judgement,
        super::documents::record_api,
        super::documents::view_evidence_api,
        super::replies::retry_notice_api,
        super::replies::assign_api,
        super::audit::verify_api,
        super::audit::verify_against_api,
        super::audit::checkpoint_api,
        super::audit::inclusion_api,
        super::audit::consistency_api,
        super::audit::evidence_api,
        super::queue::queue_api,
        super::reports::api,
        super::staff::add_note_api,
        super::staff::hold_api,
        super::approvals::approve_api,
        super::authority::record_api,
        super::postings::record_api,
        super::inquiries_api::record_api,
        super::inquiries_api::list_api,
        super::inquiries_api::show_api,
        super::inquiries_api::acknowledge_api,
        super::inquiries_api::answer_api,
        super::provision::record_api,
        super::provision::list_api,
        super::provision::attach_api,
        super::provision::detach_api,
        super::document_rejection::reject_api,
        super::account::unlock_api,
        super::people::list_api,
        super::people::role_api,
        super::people::disable_api,
        super::people::enable_api,
        super::people::end_sessions_api,
        super::people::end_every_session_api,
        super::audit::export_api,
        super::payments::record_api,
        super::payments::import_api,
        super::payments::unmatched_api,
        super::payments::assign_api,
        super::replies::change_api,
        super::replies::reply_file_api,
        super::replies::revoke_api,
        super::registry::list_api,
        super::registry::register_api,
        super::registry::update_api,
        super::registry::set_active_api,
        super::systems::complete_api,
        super::systems::lift_api,
        super::systems::my_tasks_api,
        super::systems::withhold_api,
        super::systems::preview_api,
    ),
    components(schemas(super::error::ErrorBody, super::error::ErrorDetail, super::error::FieldProblem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
