//! Converse / ConverseStream mapping between the internal OpenAI types and the SDK's own Converse types
//! (contract §9.3). Dispatch is in `strategy/converse.rs`.

pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod stream;
