//! `cache.auto` in the configuration: off by default, on per Bedrock provider (the built-in `[bedrock]` and a
//! named one), an unknown key under `cache` named in the error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_service::config::{Config, ProviderConfig};

#[test]
fn cache_auto_is_off_by_default_and_set_per_bedrock_provider() {
    assert!(!Config::from_toml("").unwrap().bedrock.cache.auto);
    let config = Config::from_toml(
        "[bedrock]\ncache.auto = true\n[providers.br]\nkind = \"bedrock\"\nregion = \"eu-west-1\"\n\
         cache = { auto = true }\n[providers.quiet]\nkind = \"bedrock\"\nregion = \"eu-west-1\"\n",
    )
    .unwrap();
    assert!(config.bedrock.cache.auto);
    let auto = |name: &str| match &config.providers[name] {
        ProviderConfig::Bedrock(provider) => provider.bedrock.cache.auto,
        other => panic!("{other:?}"),
    };
    assert_eq!((auto("br"), auto("quiet")), (true, false));
    let error = Config::from_toml("[bedrock]\ncache.always = true\n").unwrap_err().to_string();
    assert!(error.contains("unknown field `always`, expected `auto`"), "{error}");
}
