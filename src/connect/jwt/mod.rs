//! Connect JWTs: verifying what Jira signs (page, lifecycle and signed-install tokens). The
//! algorithm is pinned per token class and every time check uses the `now` passed in, so a forged
//! header or a wrong clock can't loosen what we accept.
//!
//! `jsonwebtoken` checks signatures only; header and claim rules (alg, kid, exp, iat, aud, iss,
//! qsh) are enforced here, after the signature is verified, so an unauthenticated caller learns
//! nothing about which claim failed.
//!
//! One file per token kind: [`host`] (Jira's page and `enabled`/`disabled` tokens), [`install`]
//! (signed installs); what they share is in [`common`]. The app's own session tokens are a
//! page concern: [`crate::pages::session_token`].

pub mod common;
pub mod host;
pub mod install;
#[cfg(test)]
pub(crate) mod test_fixtures;

pub use common::{CONTEXT_QSH, JwtError, LEEWAY_SECONDS, MAX_TOKEN_BYTES};
pub use host::{HostClaims, unverified_hs256_issuer, verify_host_jwt};
pub use install::{
    InstallClaims, MAX_INSTALL_TOKEN_AGE_SECONDS, MAX_KID_LEN, MIN_RSA_BITS, install_kid,
    validate_kid, verify_install_jwt,
};
