//! OpenAI Responses API wire types (docs/reference/responses.md): the `POST /v1/responses` request and its input
//! items ([`request`]), the response object and its output items ([`response`]), and the typed stream events
//! ([`event`]). Fields obs does not read are kept in flattened `extra` maps, in the order they came.

pub mod event;
pub mod request;
pub mod response;

pub use event::{ResponseEvent, SequencedEvent};
pub use request::{
    FunctionCallItem, FunctionCallOutputItem, InputContent, InputItem, InputMessage, InputPart, OutputContentText,
    ReasoningConfig, ReasoningItem, ResponseInput, ResponsesRequest, TextConfig, TextFormat, TypedItem,
};
pub use response::{
    IncompleteDetails, InputTokensDetails, OutputContent, OutputItem, OutputTokensDetails, ReasoningSummary, Response,
    ResponseUsage,
};
