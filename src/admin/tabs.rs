//! The admin page's tabs, shared by its pages' templates (`partials/_admin_header.html`).

/// Which tab an admin page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminTab {
    Access,
    Lifetime,
    TokensHistory,
    DataSourcesHistory,
}
