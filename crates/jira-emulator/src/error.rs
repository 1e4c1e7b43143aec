//! Errors of the emulator's library API (lifecycle flows and page URLs), with enough detail for
//! a failing test to say what went wrong.

/// Why an emulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("there is no site {0}")]
    NoSuchSite(usize),
    #[error("site {site} has no user {user}")]
    NoSuchUser { site: usize, user: usize },
    #[error("the app is not installed on site {0}")]
    NotInstalled(usize),
    #[error("could not read the app descriptor at {url}: {reason}")]
    Descriptor { url: String, reason: String },
    #[error("the app descriptor has no generalPages module")]
    NoPageModule,
    #[error("could not reach the app for the {event} callback at {url}: {reason}")]
    LifecycleUnreachable {
        event: &'static str,
        url: String,
        reason: String,
    },
    #[error("the app answered {status} to the {event} callback: {body}")]
    LifecycleRejected {
        event: &'static str,
        status: u16,
        body: String,
    },
    #[error("could not create a signing key or token: {0}")]
    Signing(String),
}
