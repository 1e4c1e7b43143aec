// The diesel view of migrations/sqlite. Keep in step with the migrations.

diesel::table! {
    tenants (id) {
        id -> BigInt,
        client_key -> Text,
        shared_secret_sealed -> Text,
        base_url -> Text,
        display_url -> Text,
        product_type -> Text,
        oauth_client_id -> Nullable<Text>,
        installed -> Bool,
        enabled -> Bool,
        installed_at -> BigInt,
        uninstalled_at -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    access_tokens (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        account_id -> Text,
        token_id -> Text,
        secret_hash -> Binary,
        label -> Text,
        label_normalized -> Text,
        last_used_at -> Nullable<BigInt>,
        created_at -> Nullable<BigInt>,
        expires_on -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        account_id -> Text,
        action -> Text,
        subject -> Text,
        ip -> Nullable<Text>,
        created_at -> BigInt,
        target_account_id -> Text,
    }
}

diesel::table! {
    token_form_submissions (form_id) {
        form_id -> Text,
        tenant_id -> BigInt,
        account_id -> Text,
        submitted_at -> BigInt,
    }
}

diesel::table! {
    jira_api_tokens (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        account_id -> Text,
        email -> Text,
        display_name -> Text,
        token_sealed -> Text,
        validated_at -> BigInt,
        rejected_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    data_sources (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        account_id -> Text,
        name -> Text,
        name_normalized -> Text,
        issue_mode -> Text,
        jql -> Text,
        project_keys -> Text,
        fields -> Text,
        form_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        tables -> Text,
    }
}

diesel::table! {
    app_access_policies (tenant_id) {
        tenant_id -> BigInt,
        restricted -> Bool,
        updated_at -> BigInt,
        updated_by -> Text,
    }
}

diesel::table! {
    app_access_grants (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        principal_kind -> Text,
        principal_id -> Text,
        principal_name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    token_lifetime_policies (tenant_id) {
        tenant_id -> BigInt,
        max_days -> Nullable<BigInt>,
        updated_at -> BigInt,
        updated_by -> Text,
    }
}

diesel::table! {
    data_source_shares (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        data_source_id -> BigInt,
        principal_kind -> Text,
        principal_id -> Text,
        principal_name -> Text,
        owner_name -> Text,
        created_at -> BigInt,
    }
}
