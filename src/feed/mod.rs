//! Endpoints BI tools call. Every handler here takes a [`crate::tokens::auth::TokenOwner`], so a
//! request without a valid access token is answered 401 before any data is touched.

pub mod columns;
pub mod whoami;
