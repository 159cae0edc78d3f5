//! What a request cost (docs/reference/keys.md §5): list prices per million tokens by model id prefix, shipped in
//! `data/prices.toml` (with its source and date) and overridden by the configuration's `[prices."<id>"]`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Uncached input.
    pub input: f64,
    /// Output (reasoning included).
    pub output: f64,
    /// Input read from the prompt cache (default: `input`).
    pub cache_read: Option<f64>,
    /// Input written to the prompt cache (default: `input`).
    pub cache_write: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    as_of: String,
    models: BTreeMap<String, Price>,
}

/// The shipped table.
const SHIPPED: &str = include_str!("../data/prices.toml");

/// Tokens of one answer, as a usage record counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Every input token, cached or not.
    pub input: u64,
    /// Read from the cache.
    pub cache_read: u64,
    /// Written to the cache.
    pub cache_write: u64,
    /// Output.
    pub output: u64,
}

/// The price table: the shipped prices with the configuration's on top.
#[derive(Debug, Clone)]
pub struct Prices {
    by_prefix: BTreeMap<String, Price>,
}

impl Prices {
    /// The shipped table, then `overrides` (a configured prefix replaces the shipped one of the same prefix).
    pub fn new(overrides: &BTreeMap<String, Price>) -> Self {
        // The shipped file is checked by a test; a broken one would leave costs at zero rather than stop obs.
        let mut by_prefix = toml::from_str::<PriceFile>(SHIPPED).map(|file| file.models).unwrap_or_default();
        by_prefix.extend(overrides.iter().map(|(id, price)| (id.clone(), *price)));
        Prices { by_prefix }
    }

    /// The price of the upstream model `model` (as a target names it): the longest configured prefix of its id,
    /// once an ARN's path and Bedrock's geo prefix are taken off.
    pub fn of(&self, model: &str) -> Option<&Price> {
        let id = model.rsplit('/').next().unwrap_or(model);
        let id = ["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."]
            .iter()
            .find_map(|geo| id.strip_prefix(geo))
            .unwrap_or(id);
        // A few dozen prefixes, read once per recorded request: a scan is simpler than an index.
        self.by_prefix
            .iter()
            .filter(|(prefix, _)| !prefix.is_empty() && id.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, price)| price)
    }

    /// What `tokens` cost on `model`, in millionths of a US dollar (an unknown model costs 0).
    pub fn cost_micro_usd(&self, model: &str, tokens: Tokens) -> i64 {
        let Some(price) = self.of(model) else { return 0 };
        let uncached = tokens.input.saturating_sub(tokens.cache_read).saturating_sub(tokens.cache_write);
        // Per million tokens in dollars is per token in millionths of a dollar.
        #[allow(clippy::cast_precision_loss)]
        let micro = uncached as f64 * price.input
            + tokens.cache_read as f64 * price.cache_read.unwrap_or(price.input)
            + tokens.cache_write as f64 * price.cache_write.unwrap_or(price.input)
            + tokens.output as f64 * price.output;
        #[allow(clippy::cast_possible_truncation)]
        let micro = micro.round() as i64;
        micro
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_every_price_is_sane() {
        let file: PriceFile = toml::from_str(SHIPPED).unwrap_or_else(|e| panic!("data/prices.toml: {e}"));
        assert!(file.models.len() > 20);
        for (id, price) in &file.models {
            for value in
                [Some(price.input), Some(price.output), price.cache_read, price.cache_write].into_iter().flatten()
            {
                assert!((0.0..1000.0).contains(&value), "{id}");
            }
        }
    }

    #[test]
    fn the_longest_prefix_of_the_bare_id_wins() {
        let prices = Prices::new(&BTreeMap::new());
        let input = |model: &str| prices.of(model).map(|p| p.input);
        assert_eq!(input("gpt-4o"), Some(2.50));
        assert_eq!(input("gpt-4o-mini-2024-07-18"), Some(0.15));
        assert_eq!(input("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), Some(3.00));
        assert_eq!(input("anthropic.claude-opus-4-5-20251101-v1:0"), Some(5.00));
        assert_eq!(input("anthropic.claude-opus-4-1-20250805-v1:0"), Some(15.00));
        assert_eq!(
            input("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0"),
            Some(0.06)
        );
        assert_eq!(input("vllm/meta-llama/Llama-3-8B"), None);
        assert_eq!(input("some-unknown-model"), None);
    }

    #[test]
    fn cost_counts_each_kind_of_token_at_its_price_and_overrides_win() {
        let prices = Prices::new(&BTreeMap::new());
        // Claude 3 Haiku: 0.25 in, 1.25 out, 0.03 cache read, 0.30 cache write.
        let tokens = Tokens { input: 1_000_000, cache_read: 200_000, cache_write: 100_000, output: 10_000 };
        let expected = 700_000.0 * 0.25 + 200_000.0 * 0.03 + 100_000.0 * 0.30 + 10_000.0 * 1.25;
        assert_eq!(prices.cost_micro_usd("anthropic.claude-3-haiku-20240307-v1:0", tokens), expected as i64);
        assert_eq!(prices.cost_micro_usd("unknown", tokens), 0);
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "anthropic.claude-3-haiku".to_owned(),
            Price { input: 1.0, output: 2.0, cache_read: None, cache_write: None },
        );
        let custom = Prices::new(&overrides);
        assert_eq!(custom.cost_micro_usd("anthropic.claude-3-haiku-20240307-v1:0", tokens), 1_000_000 + 20_000);
    }
}
