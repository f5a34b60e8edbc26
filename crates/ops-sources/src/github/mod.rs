//! The GitHub source: Actions runs on the dev and main branches ([`runs`]).
pub mod runs;
