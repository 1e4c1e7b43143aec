#![forbid(unsafe_code)]
pub mod clock;
pub mod connect;
pub mod crypto;
pub mod emulator;
