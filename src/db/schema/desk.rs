//! Tables of the desk's own matters: the register of provision to and receipt from third parties, and
//! inquiries and complaints (hand-kept, like `schema.rs`).

use super::{notices, requests};

diesel::table! {
    provision_records (id) {
        id -> Text,
        regime -> Text,
        direction -> Text,
        method -> Text,
        basis -> Text,
        provided_on -> Text,
        last_provided_on -> Nullable<Text>,
        counterparty_name -> Text,
        counterparty_address -> Nullable<Text>,
        counterparty_representative -> Nullable<Text>,
        acquired_how -> Nullable<Text>,
        person_name -> Text,
        person_kana -> Nullable<Text>,
        person_email -> Nullable<Text>,
        person_address -> Nullable<Text>,
        name_key -> Text,
        kana_key -> Nullable<Text>,
        email_key -> Nullable<Text>,
        items -> Text,
        kept_until -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    request_provision_records (request_id, record_id) {
        request_id -> Text,
        record_id -> Text,
        attached_by -> Text,
        attached_at -> Timestamp,
    }
}

diesel::joinable!(request_provision_records -> provision_records (record_id));
diesel::allow_tables_to_appear_in_same_query!(provision_records, request_provision_records);

diesel::table! {
    inquiries (id) {
        id -> Text,
        reference -> Text,
        kind -> Text,
        place -> Text,
        language -> Text,
        channel -> Text,
        name -> Text,
        email -> Nullable<Text>,
        postal_address -> Nullable<Text>,
        subject -> Text,
        body -> Text,
        about -> Nullable<Text>,
        received_on -> Text,
        received_at -> Timestamp,
        recorded_by -> Nullable<Text>,
        acknowledge_due -> Text,
        law_acknowledge_due -> Nullable<Text>,
        answer_due -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        acknowledged_how -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
        answer -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(notices -> inquiries (inquiry_id));
diesel::allow_tables_to_appear_in_same_query!(notices, inquiries);
diesel::allow_tables_to_appear_in_same_query!(requests, request_provision_records);
