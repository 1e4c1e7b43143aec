//! What can go wrong opening the database; startup prints it as one line.

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot make the database file {path} private (mode 0600): {source}")]
    Permissions {
        path: String,
        source: std::io::Error,
    },
    /// One line, naming the variable and the URL with its password redacted.
    #[error("cannot reach the database at DATABASE_URL={url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot open the database: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}
