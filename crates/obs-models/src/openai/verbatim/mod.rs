//! An OpenAI-compatible upstream's own JSON, forwarded as it came when obs would not change it.
//!
//! When the client speaks OpenAI and the provider is OpenAI-compatible, parsing each answer and stream chunk into
//! the typed structs and serialising it again costs most of obs's work on that path, and changes nothing a client
//! can see but the order of keys. [`VerbatimCompletion::check`] and [`VerbatimChunk::check`] read a document once,
//! without building it, and accept it only when the typed path would write the same JSON value back: every key
//! the typed structs require present with the right type, no `null` that the typed structs drop, no key they do
//! not carry, and compact text (no whitespace outside strings). Anything else is handed back for the typed path,
//! which stays the reference: a check that accepts must mean the typed parse accepts, and forwarding must give the
//! value the typed path gives (property-tested against serde_json).
//!
//! A chunk also reports what the OpenAI stream encoder needs to edit it without parsing it again: where its `id`,
//! `created` and `usage` are, and whether it carries anything.

mod chunk;
mod completion;
mod scan;

pub use chunk::{UsageMember, VerbatimChunk};
pub use completion::VerbatimCompletion;

use scan::{Member, Refused, Scan, Scanner, once, required};

/// A document the checks handed back: the typed path takes it from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotVerbatim {
    /// The document, unchanged.
    pub json: String,
    /// Why it cannot be forwarded as it is (for tests and debugging; not shown to clients).
    pub reason: String,
}

impl NotVerbatim {
    fn new(json: String, refused: &Refused) -> Self {
        NotVerbatim { json, reason: format!("{} (byte {})", refused.reason, refused.at) }
    }
}

/// A string with any content: mirrors a required `String` field.
fn text(scanner: &mut Scanner<'_>) -> Scan<()> {
    scanner.string().map(drop)
}

/// A string or `null`: mirrors an `Option<String>` the typed struct always writes; whether it was `null`.
fn text_or_null(scanner: &mut Scanner<'_>) -> Scan<bool> {
    if scanner.null() { Ok(true) } else { text(scanner).map(|()| false) }
}

/// A non-negative integer that fits in a `u32`: mirrors a `u32` field.
fn small_unsigned(scanner: &mut Scanner<'_>) -> Scan<()> {
    let (_, value) = scanner.unsigned()?;
    if u32::try_from(value).is_err() {
        return Err(Refused { reason: "an index beyond 32 bits", at: scanner.position() });
    }
    Ok(())
}

/// A usage object: the three counts as unsigned integers (each once), anything else beside them.
fn usage(scanner: &mut Scanner<'_>) -> Scan<()> {
    let (mut prompt, mut completion, mut total) = (None, None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"prompt_tokens" => once(&mut prompt, s.unsigned()?, s),
        b"completion_tokens" => once(&mut completion, s.unsigned()?, s),
        b"total_tokens" => once(&mut total, s.unsigned()?, s),
        _ => s.value().map(drop),
    })?;
    required(prompt, "usage without prompt_tokens")?;
    required(completion, "usage without completion_tokens")?;
    required(total, "usage without total_tokens").map(drop)
}

/// A tool call's function: `name` and `arguments` strings, nothing else; `complete`: both required (a whole call
/// rather than a streamed fragment).
fn function(scanner: &mut Scanner<'_>, complete: bool) -> Scan<()> {
    let (mut name, mut arguments) = (None, None);
    scanner.object(|s, Member { key, .. }| match key {
        b"name" => once(&mut name, text(s)?, s),
        b"arguments" => once(&mut arguments, text(s)?, s),
        _ => Err(Refused { reason: "a function key the typed struct drops", at: s.position() }),
    })?;
    if complete {
        required(name, "a function without name")?;
        required(arguments, "a function without arguments")?;
    }
    Ok(())
}
