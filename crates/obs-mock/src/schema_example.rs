//! A value that validates against a JSON schema — a tool call's arguments, a structured-output answer.
//!
//! Covers what tool and response schemas use: `type` (a name or a list; without one it is inferred from the other
//! keywords), `properties` (all of them, required or not, until the nesting gets deep; then the required ones),
//! `required`, `enum` (the first value), `const`, `format`, `minLength`/`maxLength`, `minimum`/`maximum` and their
//! exclusive forms, `multipleOf`, `items`/`prefixItems`/`minItems`/`maxItems`/`uniqueItems`, `anyOf`/`oneOf` (the
//! first branch that is not `{"type":"null"}`), `allOf` (merged), `$ref` into the same document (`#/$defs/…`,
//! `#/definitions/…`, `#`). `pattern` and `not` are not honoured. Leaf values come from [`Source`].

use serde_json::{Map, Value, json};

use crate::plausible::{Source, number_value};

/// Past this depth only required properties and `minItems` items are generated (recursive schemas end).
const SHALLOW: usize = 4;
/// Past this depth the schema is given up on (`null`): only a schema that requires infinite nesting gets here.
const MAX_DEPTH: usize = 24;

/// A value for `schema`; `variant` picks another plausible value (see [`Source`]).
pub(crate) fn example(schema: &Value, source: &Source<'_>, variant: usize) -> Value {
    Generator { root: schema, source }.value(schema, None, variant, 0)
}

/// Tool arguments: always an object, as every API requires (`{}` for a tool without parameters).
pub(crate) fn arguments(schema: &Value, source: &Source<'_>, variant: usize) -> Map<String, Value> {
    let generator = Generator { root: schema, source };
    let mut flat = generator.flatten(schema, 0);
    if !flat.contains_key("type") {
        flat.insert("type".to_owned(), json!("object"));
    }
    match generator.of_flat(&flat, None, variant, 0) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

struct Generator<'a> {
    root: &'a Value,
    source: &'a Source<'a>,
}

impl Generator<'_> {
    fn value(&self, schema: &Value, name: Option<&str>, variant: usize, depth: usize) -> Value {
        let flat = self.flatten(schema, depth);
        self.of_flat(&flat, name, variant, depth)
    }

    /// `schema` with `$ref`, `allOf` and the first useful `anyOf`/`oneOf` branch folded in.
    fn flatten(&self, schema: &Value, depth: usize) -> Map<String, Value> {
        let Some(object) = schema.as_object() else { return Map::new() };
        if depth > MAX_DEPTH {
            return Map::new();
        }
        let mut flat = Map::new();
        let mut parts: Vec<Map<String, Value>> = Vec::new();
        for (key, value) in object {
            match key.as_str() {
                "$ref" => {
                    if let Some(target) = value.as_str().and_then(|r| self.resolve(r)) {
                        parts.push(self.flatten(target, depth + 1));
                    }
                }
                "allOf" => {
                    for branch in value.as_array().into_iter().flatten() {
                        parts.push(self.flatten(branch, depth + 1));
                    }
                }
                "anyOf" | "oneOf" => {
                    let branches = value.as_array().map(Vec::as_slice).unwrap_or_default();
                    let chosen = branches.iter().find(|b| !is_null_schema(b)).or_else(|| branches.first());
                    if let Some(branch) = chosen {
                        parts.push(self.flatten(branch, depth + 1));
                    }
                }
                _ => {
                    flat.insert(key.clone(), value.clone());
                }
            }
        }
        for part in parts {
            merge(&mut flat, part);
        }
        flat
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            return Some(self.root);
        }
        let decoded = percent_encoding::percent_decode_str(pointer).decode_utf8_lossy();
        self.root.pointer(&decoded)
    }

    fn of_flat(&self, schema: &Map<String, Value>, name: Option<&str>, variant: usize, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        if let Some(value) = schema.get("const") {
            return value.clone();
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array).filter(|v| !v.is_empty()) {
            return values[variant % values.len()].clone();
        }
        match type_of(schema) {
            "object" => self.object(schema, variant, depth),
            "array" => self.array(schema, name, variant, depth),
            "integer" => self.number(schema, name, true, variant),
            "number" => self.number(schema, name, false, variant),
            "boolean" => json!(true),
            "null" => Value::Null,
            _ => json!(self.string(schema, name, variant)),
        }
    }

    fn object(&self, schema: &Map<String, Value>, variant: usize, depth: usize) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        for (key, property) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if depth < SHALLOW || required.contains(&key.as_str()) {
                out.insert(key.clone(), self.value(property, Some(key), variant, depth + 1));
            }
        }
        for key in required {
            if !out.contains_key(key) {
                let value = match schema.get("additionalProperties") {
                    Some(extra @ Value::Object(_)) => self.value(extra, Some(key), variant, depth + 1),
                    _ => json!(self.source.string(Some(key), None, variant)),
                };
                out.insert(key.to_owned(), value);
            }
        }
        Value::Object(out)
    }

    fn array(&self, schema: &Map<String, Value>, name: Option<&str>, variant: usize, depth: usize) -> Value {
        // Draft 2020-12 `prefixItems` + `items`, or draft 4-2019 `items: [...]` + `additionalItems`.
        let (prefix, rest) = match (schema.get("prefixItems"), schema.get("items")) {
            (Some(Value::Array(prefix)), rest) => (prefix.as_slice(), rest),
            (_, Some(Value::Array(prefix))) => (prefix.as_slice(), schema.get("additionalItems")),
            (_, rest) => (&[][..], rest),
        };
        let min = as_usize(schema.get("minItems")).unwrap_or(0);
        let max = as_usize(schema.get("maxItems")).unwrap_or(usize::MAX);
        let wanted = if depth < SHALLOW { min.max(1).max(prefix.len()) } else { min };
        let allowed = if matches!(rest, Some(Value::Bool(false))) { prefix.len() } else { usize::MAX };
        let count = wanted.min(max).min(allowed.max(min));
        let any = json!({});
        let items = (0..count).map(|i| {
            let schema = prefix.get(i).or(rest.filter(|r| r.is_object())).unwrap_or(&any);
            // Items of one array get different plausible values, so `uniqueItems` holds for the usual cases.
            self.value(schema, name, variant + i, depth + 1)
        });
        Value::Array(items.collect())
    }

    fn number(&self, schema: &Map<String, Value>, name: Option<&str>, integer: bool, variant: usize) -> Value {
        let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
        // Draft 4 writes exclusive bounds as booleans beside minimum/maximum.
        let exclusive = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
        let step = if integer { 1.0 } else { 0.5 };
        let low = match (bound("minimum"), bound("exclusiveMinimum")) {
            (Some(min), _) if exclusive("exclusiveMinimum") => Some(min + step),
            (min, Some(exclusive_min)) => Some(min.unwrap_or(f64::MIN).max(exclusive_min + step)),
            (min, None) => min,
        };
        let high = match (bound("maximum"), bound("exclusiveMaximum")) {
            (Some(max), _) if exclusive("exclusiveMaximum") => Some(max - step),
            (max, Some(exclusive_max)) => Some(max.unwrap_or(f64::MAX).min(exclusive_max - step)),
            (max, None) => max,
        };
        let mut value = self.source.number(name, integer, variant);
        match (low, high) {
            (Some(low), Some(high)) if value < low || value > high => value = low + (high - low) / 2.0,
            (Some(low), _) if value < low => value = low,
            (_, Some(high)) if value > high => value = high,
            _ => {}
        }
        if integer {
            value = value.floor().max(low.map_or(f64::MIN, f64::ceil));
        }
        if let Some(multiple) = bound("multipleOf").filter(|m| *m > 0.0) {
            let up = (value / multiple).ceil() * multiple;
            value = if high.is_some_and(|h| up > h) { (value / multiple).floor() * multiple } else { up };
        }
        number_value(value, integer)
    }

    fn string(&self, schema: &Map<String, Value>, name: Option<&str>, variant: usize) -> String {
        let format = schema.get("format").and_then(Value::as_str);
        let mut text = self.source.string(name, format, variant);
        if let Some(max) = as_usize(schema.get("maxLength")) {
            text = text.chars().take(max).collect();
        }
        let min = as_usize(schema.get("minLength")).unwrap_or(0);
        let length = text.chars().count();
        if length < min {
            text.extend(std::iter::repeat_n('x', min - length));
        }
        text
    }
}

/// The schema's type: the first non-null one named, else inferred from its keywords (strings when nothing says).
fn type_of(schema: &Map<String, Value>) -> &str {
    match schema.get("type") {
        Some(Value::String(name)) => return name,
        Some(Value::Array(names)) => {
            let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
            if let Some(name) = names.iter().find(|n| **n != "null").or(names.first()) {
                return name;
            }
        }
        _ => {}
    }
    let has = |keys: &[&str]| keys.iter().any(|k| schema.contains_key(*k));
    if has(&["properties", "required", "additionalProperties", "patternProperties", "minProperties"]) {
        "object"
    } else if has(&["items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"]) {
        "array"
    } else if has(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]) {
        "number"
    } else {
        "string"
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

fn as_usize(value: Option<&Value>) -> Option<usize> {
    value.and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok())
}

/// Folds `part` into `into`: `properties` and `required` are unions, other keywords already set win.
fn merge(into: &mut Map<String, Value>, part: Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), into.get_mut(&key), value) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                into.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(schema: Value) -> Value {
        example(&schema, &Source::new("hello"), 0)
    }

    #[test]
    fn keywords_beyond_the_wire_tests() {
        let merged = of(json!({"allOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},
            {"properties":{"b":{"type":"boolean"}}}]}));
        assert_eq!(merged, json!({"a":1,"b":true}));
        assert_eq!(
            of(json!({"prefixItems":[{"type":"integer"},{"type":"string"}],"items":false})),
            json!([1, "example 2"])
        );
        assert_eq!(of(json!({"type":["null","number"],"maximum":0.25})), json!(0.25));
        assert_eq!(
            of(json!({"type":"array","items":{"enum":["x","y"]},"minItems":2,"uniqueItems":true})),
            json!(["x", "y"])
        );
        // Draft 4: exclusive bounds as booleans.
        assert_eq!(of(json!({"type":"integer","minimum":5,"exclusiveMinimum":true,"maximum":7})), json!(6));
        assert_eq!(of(json!({"type":"integer","maximum":0,"exclusiveMaximum":true})), json!(-1));
        assert_eq!(of(json!({"type":"array","maxItems":0})), json!([]));
        assert_eq!(of(json!({"$ref":"#/definitions/missing"})), json!("example"));
        assert_eq!(arguments(&json!({}), &Source::new("x"), 0), Map::new());
    }
}
