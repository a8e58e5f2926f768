// Hand-kept to match migrations/{sqlite,postgres}; `tests/it/schema_parity.rs` checks both backends agree
// with each other and with these column lists.

diesel::table! {
    workflow_definitions (workflow_id, version) {
        workflow_id -> Text,
        version -> BigInt,
        source -> Text,
        source_sha256 -> Text,
        published_at -> Timestamp,
        regime_id -> Nullable<Text>,
        regime_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    regime_definitions (regime_id, version) {
        regime_id -> Text,
        version -> BigInt,
        source -> Text,
        source_sha256 -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        receipt_number -> Text,
        tracking_token_sha256 -> Text,
        workflow_id -> Text,
        workflow_version -> BigInt,
        state -> Text,
        version -> BigInt,
        request_type -> Text,
        jurisdiction -> Text,
        channel -> Text,
        language -> Text,
        subject_name -> Text,
        subject_email -> Nullable<Text>,
        message -> Text,
        facts -> Text,
        received_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        filing_id -> Nullable<Text>,
        assigned_to -> Nullable<Text>,
        queue_due -> Text,
        personal_data_purged_at -> Nullable<Timestamp>,
        period_from -> Nullable<Text>,
        legal_hold_since -> Nullable<Timestamp>,
        legal_hold_reason -> Nullable<Text>,
        token_key_id -> Nullable<Text>,
    }
}

diesel::table! {
    request_clocks (request_id, clock_id) {
        request_id -> Text,
        clock_id -> Text,
        started_on -> Text,
        paused_since -> Nullable<Text>,
        paused_days -> BigInt,
        extensions -> BigInt,
        stopped_on -> Nullable<Text>,
        due_on -> Nullable<Text>,
        due_soon_notice_for -> Nullable<Text>,
        overdue_notice_for -> Nullable<Text>,
        remind_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        request_id -> Nullable<Text>,
        inquiry_id -> Nullable<Text>,
        kind -> Text,
        channel -> Text,
        language -> Text,
        status -> Text,
        created_at -> Timestamp,
        payload -> Text,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        recipient_staff_id -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        staff_id -> Text,
        token_sha256 -> Text,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Text,
        email -> Text,
        role -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        display_name -> Text,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Text,
        email_key -> Text,
        address_key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    staff_sign_in_addresses (staff_id, address_key) {
        staff_id -> Text,
        address_key -> Text,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    sign_in_throttle_events (scope_key, window_start) {
        scope_key -> Text,
        window_start -> Timestamp,
    }
}

diesel::table! {
    staff_sessions (token_sha256) {
        token_sha256 -> Text,
        staff_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        mfa_at -> Nullable<Timestamp>,
        last_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_mfa (staff_id) {
        staff_id -> Text,
        secret_sealed -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> BigInt,
    }
}

diesel::table! {
    staff_recovery_codes (code_sha256) {
        code_sha256 -> Text,
        staff_id -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    setup_links (token_sha256) {
        token_sha256 -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        action -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        details -> Text,
        seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
        details_sha256 -> Nullable<Text>,
        redacted_at -> Nullable<Timestamp>,
        details_salt -> Nullable<Text>,
        committed_at -> Nullable<Timestamp>,
        integrated_at -> Nullable<Timestamp>,
    }
}

// The queue's counts per (state, right, place, procedure, assignee), kept by triggers and folded by
// `db::queue_counts` (raw SQL). Their appended deltas (`queue_count_deltas`) have no key, so no `table!`.
diesel::table! {
    queue_counts (state, request_type, jurisdiction, workflow_id, assigned_to) {
        state -> Text,
        request_type -> Text,
        jurisdiction -> Text,
        workflow_id -> Text,
        assigned_to -> Text,
        n -> BigInt,
    }
}

diesel::joinable!(staff_sessions -> staff_users (staff_id));
diesel::joinable!(staff_sign_in_addresses -> staff_users (staff_id));
diesel::joinable!(staff_mfa -> staff_users (staff_id));
diesel::joinable!(staff_recovery_codes -> staff_users (staff_id));
diesel::joinable!(api_tokens -> staff_users (staff_id));
diesel::joinable!(request_clocks -> requests (request_id));
diesel::joinable!(notices -> requests (request_id));
diesel::table! {
    request_approvals (id) {
        id -> Text,
        request_id -> Text,
        event -> Text,
        request_version -> BigInt,
        approved_by -> Text,
        approved_at -> Timestamp,
    }
}

diesel::joinable!(request_approvals -> staff_users (approved_by));

diesel::allow_tables_to_appear_in_same_query!(
    request_approvals,
    workflow_definitions,
    regime_definitions,
    postal_details,
    invoices,
    payments,
    reply_dispatches,
    reply_downloads,
    answer_packages,
    data_changes,
    data_systems,
    system_tasks,
    request_on_behalf,
    stored_files,
    identity_documents,
    requests,
    request_clocks,
    notices,
    api_tokens,
    staff_users,
    staff_sessions,
    sign_in_failures,
    staff_sign_in_addresses,
    sign_in_throttle_events,
    staff_mfa,
    staff_recovery_codes,
    setup_links,
    audit_events,
);

diesel::table! {
    job_runs (job, period) {
        job -> Text,
        period -> Text,
        instance -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        records -> Nullable<BigInt>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    service_keys (kind, key_id) {
        kind -> Text,
        key_id -> Text,
        public_half -> Nullable<Text>,
        status -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    postal_details (request_id) {
        request_id -> Text,
        envelope_id -> Text,
        received_on -> Text,
        mail_class -> Text,
        tracking_number -> Nullable<Text>,
        request_date -> Nullable<Text>,
        requester_kind -> Text,
        agent_name -> Nullable<Text>,
        services -> Text,
        postal_address -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        subject_name_kana -> Nullable<Text>,
        agent_name_kana -> Nullable<Text>,
        agent_address -> Nullable<Text>,
    }
}

diesel::table! {
    stored_files (id) {
        id -> Text,
        request_id -> Text,
        purpose -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        nonce -> Binary,
        ciphertext -> Binary,
        created_by -> Text,
        created_at -> Timestamp,
        purged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    identity_documents (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        holder -> Text,
        original -> Bool,
        created_on -> Nullable<Text>,
        file_id -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        rejected_reason -> Nullable<Text>,
        rejected_by -> Nullable<Text>,
        rejected_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invoices (id) {
        id -> Text,
        request_id -> Text,
        number -> Text,
        unit_yen -> BigInt,
        services -> BigInt,
        amount_yen -> BigInt,
        issued_on -> Text,
        due_on -> Text,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        tax_rate_percent -> Nullable<BigInt>,
        tax_yen -> Nullable<BigInt>,
        registration_number -> Nullable<Text>,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        invoice_id -> Nullable<Text>,
        paid_on -> Text,
        amount_yen -> BigInt,
        payer_name -> Text,
        reference -> Text,
        source -> Text,
        matched_by -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
        match_reason -> Nullable<Text>,
    }
}

diesel::joinable!(postal_details -> requests (request_id));
diesel::joinable!(invoices -> requests (request_id));
diesel::joinable!(payments -> invoices (invoice_id));
diesel::joinable!(stored_files -> requests (request_id));
diesel::joinable!(identity_documents -> requests (request_id));

diesel::table! {
    reply_dispatches (request_id) {
        request_id -> Text,
        tracking_number -> Text,
        dispatched_on -> Text,
        delivered_on -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reply_downloads (id) {
        id -> Text,
        request_id -> Text,
        file_id -> Nullable<Text>,
        package_id -> Nullable<Text>,
        max_downloads -> BigInt,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        first_downloaded_at -> Nullable<Timestamp>,
        downloads -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        expiry_notice_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    answer_packages (id) {
        id -> Text,
        request_id -> Text,
        size_bytes -> BigInt,
        nonce -> Binary,
        ciphertext -> Binary,
        expires_at -> Timestamp,
        purged_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    data_changes (id) {
        id -> Text,
        request_id -> Text,
        action -> Text,
        item -> Text,
        prior_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        task_id -> Nullable<Text>,
    }
}

diesel::joinable!(reply_dispatches -> requests (request_id));
diesel::joinable!(reply_downloads -> requests (request_id));
diesel::joinable!(data_changes -> requests (request_id));

diesel::table! {
    data_systems (id) {
        id -> Text,
        name -> Text,
        owner_email -> Text,
        categories -> Text,
        retention -> Text,
        deletion_method -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        serves -> Text,
        purposes -> Text,
        recipients -> Text,
        sources -> Text,
        automated_decisions -> Text,
        never_disclose -> Text,
    }
}

diesel::table! {
    system_tasks (id) {
        id -> Text,
        request_id -> Text,
        system_id -> Text,
        kind -> Text,
        status -> Text,
        legal_ground -> Nullable<Text>,
        note -> Text,
        export_media_type -> Nullable<Text>,
        export_size -> Nullable<BigInt>,
        export_nonce -> Nullable<Binary>,
        export_ciphertext -> Nullable<Binary>,
        export_purged_at -> Nullable<Timestamp>,
        completed_by -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        purposes -> Nullable<Text>,
        lifted_on -> Nullable<Text>,
        lift_reason -> Nullable<Text>,
        withheld_ground -> Nullable<Text>,
    }
}

diesel::joinable!(system_tasks -> requests (request_id));
diesel::joinable!(system_tasks -> data_systems (system_id));

diesel::table! {
    request_on_behalf (request_id) {
        request_id -> Text,
        kind -> Text,
        person_name -> Text,
        person_email -> Nullable<Text>,
        person_confirmed_at -> Nullable<Timestamp>,
        guardian_basis -> Nullable<Text>,
        person_born_on -> Nullable<Text>,
        minor_under -> Nullable<Integer>,
    }
}

diesel::joinable!(request_on_behalf -> requests (request_id));

diesel::table! {
    identity_evidence (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        nonce -> Binary,
        ciphertext -> Binary,
        declared_by -> Nullable<Text>,
        created_at -> Timestamp,
        purged_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(identity_evidence -> requests (request_id));

diesel::table! {
    audit_key_handovers (size) {
        size -> BigInt,
        previous_verifier_key -> Text,
        verifier_key -> Text,
        kind -> Text,
        backup_size -> Nullable<BigInt>,
        handed_over_at -> Timestamp,
    }
}

diesel::table! {
    audit_log_state (id) {
        id -> Integer,
        chain_size -> BigInt,
        origin -> Nullable<Text>,
        verifier_key -> Nullable<Text>,
        key_recorded_at -> Nullable<Timestamp>,
        closures_carried_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_tiles (level, idx) {
        level -> Integer,
        idx -> BigInt,
        hashes -> Binary,
    }
}

diesel::table! {
    audit_checkpoints (size) {
        size -> BigInt,
        root_hash -> Text,
        note -> Text,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    intake_hits (bucket_key, at, hit_id) {
        hit_id -> Text,
        bucket_key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    request_notes (id) {
        id -> Text,
        request_id -> Text,
        staff_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(request_notes -> requests (request_id));

diesel::allow_tables_to_appear_in_same_query!(request_notes, staff_users);

diesel::table! {
    letter_postings (notice_id) {
        notice_id -> Text,
        request_id -> Text,
        posted_on -> Text,
        mail_class -> Text,
        tracking_number -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    privacy_preferences (id) {
        id -> Text,
        email_sha256 -> Nullable<Text>,
        account_sha256 -> Nullable<Text>,
        kind -> Text,
        value -> Text,
        source -> Text,
        regime -> Text,
        request_id -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(privacy_preferences -> requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(privacy_preferences, requests);

diesel::table! {
    drp_agents (id) {
        id -> Text,
        name -> Text,
        verify_key -> Text,
        web_url -> Nullable<Text>,
        technical_contact -> Nullable<Text>,
        business_contact -> Nullable<Text>,
        callback_hosts -> Text,
        added_by -> Text,
        added_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    drp_tokens (token_sha256) {
        token_sha256 -> Text,
        agent_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    drp_requests (request_id) {
        request_id -> Text,
        agent_id -> Text,
        action -> Text,
        agent_request_id -> Nullable<Text>,
        status_callback -> Nullable<Text>,
        verified_claims -> Text,
        created_at -> Timestamp,
        last_status -> Nullable<Text>,
        redirect_to -> Nullable<Text>,
    }
}

diesel::table! {
    drp_callbacks (id) {
        id -> Text,
        request_id -> Text,
        agent_id -> Text,
        url -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    drp_seen (signature) {
        signature -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(drp_tokens -> drp_agents (agent_id));
diesel::joinable!(drp_requests -> drp_agents (agent_id));
diesel::joinable!(drp_requests -> requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(drp_tokens, drp_agents, drp_requests, requests);

// The register of provision records and the inquiries desk, beside the requests they serve.
mod desk;
pub use desk::*;
