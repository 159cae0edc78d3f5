//! Shapes the checks read documents into: each accepts exactly what the typed field it mirrors accepts (or less),
//! and keeps nothing but the facts the caller needs. Nothing is allocated unless a key is escaped.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON string, read and dropped: mirrors a required `String` field. `null` is refused.
pub(super) struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Any JSON value, read and dropped, accepting exactly what `serde_json::Value` accepts: unlike `IgnoredAny`, which
/// only checks a number's syntax, it refuses numbers `Value` cannot hold (`1e400`). Mirrors `extra` entries.
pub(super) struct AnyValue;

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = AnyValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_unit<E: de::Error>(self) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_none<E: de::Error>(self) -> Result<AnyValue, E> {
        Ok(AnyValue)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<AnyValue, D::Error> {
        AnyValue::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
        while seq.next_element::<AnyValue>()?.is_some() {}
        Ok(AnyValue)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
        while map.next_entry::<Text, AnyValue>()?.is_some() {}
        Ok(AnyValue)
    }
}

/// Whether a JSON value is `null`; any other value is read and dropped. Mirrors a `serde_json::Value` field.
pub(super) struct NullOrAny {
    pub(super) is_null: bool,
}

impl<'de> Deserialize<'de> for NullOrAny {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<AnyValue>::deserialize(deserializer).map(|value| NullOrAny { is_null: value.is_none() })
    }
}

/// A string or `null`: mirrors an `Option<String>` field that the typed struct always writes (`null` included).
pub(super) struct TextOrNull {
    pub(super) is_null: bool,
}

impl<'de> Deserialize<'de> for TextOrNull {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<Text>::deserialize(deserializer).map(|value| TextOrNull { is_null: value.is_none() })
    }
}

/// Stores a field's value, refusing a second occurrence of the key (the typed structs refuse it too).
pub(super) fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, key: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(key));
    }
    *slot = Some(value);
    Ok(())
}

/// A required field, or the error the typed struct would give for its absence.
pub(super) fn required<T, E: de::Error>(slot: Option<T>, key: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(key))
}

/// A key the typed path does not write back as it came (it would drop it or add a default): not verbatim.
pub(super) fn not_kept<T, E: de::Error>(what: &str) -> Result<T, E> {
    Err(E::custom(format_args!("{what} is not written back as it came")))
}

/// The next key of a map, borrowed from the document unless it is escaped.
pub(super) fn next_key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    map.next_key::<Cow<'de, str>>()
}

/// Folds a JSON array of `T` without collecting it.
pub(super) struct Fold<T, S> {
    pub(super) state: S,
    pub(super) len: usize,
    step: fn(&mut S, T),
}

impl<T, S> Fold<T, S> {
    pub(super) fn new(state: S, step: fn(&mut S, T)) -> Self {
        Fold { state, len: 0, step }
    }
}

impl<'de, T: Deserialize<'de>, S> Visitor<'de> for Fold<T, S> {
    type Value = (S, usize);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(S, usize), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.step)(&mut self.state, item);
            self.len += 1;
        }
        Ok((self.state, self.len))
    }
}

/// Reads an array through `fold`: `(final state, number of items)`.
pub(super) fn fold_seq<'de, D, T, S>(deserializer: D, fold: Fold<T, S>) -> Result<(S, usize), D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_seq(fold)
}

/// `{"name": string, "arguments": string}` and nothing else, each at most once: a tool call's function as the
/// typed `FunctionCall` / `FunctionCallDelta` writes it back. `require_both`: both keys must be present (the
/// non-streamed `FunctionCall`); otherwise either may be absent (a streamed fragment).
pub(super) struct FunctionShape<const REQUIRE_BOTH: bool>;

impl<'de, const REQUIRE_BOTH: bool> Deserialize<'de> for FunctionShape<REQUIRE_BOTH> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FunctionVisitor<const REQUIRE_BOTH: bool>;
        impl<'de, const REQUIRE_BOTH: bool> Visitor<'de> for FunctionVisitor<REQUIRE_BOTH> {
            type Value = FunctionShape<REQUIRE_BOTH>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a function object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut name, mut arguments) = (None, None);
                while let Some(key) = next_key(&mut map)? {
                    match &*key {
                        "name" => once(&mut name, map.next_value::<Text>()?, "name")?,
                        "arguments" => once(&mut arguments, map.next_value::<Text>()?, "arguments")?,
                        _ => return not_kept("a function key the typed struct does not carry"),
                    }
                }
                if REQUIRE_BOTH {
                    required(name, "name")?;
                    required(arguments, "arguments")?;
                }
                Ok(FunctionShape)
            }
        }
        deserializer.deserialize_map(FunctionVisitor::<REQUIRE_BOTH>)
    }
}
