//! Groups and aliases serve one kind of request (docs/reference/embeddings.md §3): embedding models and chat
//! models in one group are refused at start-up, naming the group and a member of each kind; a group of embedding
//! models serves /v1/embeddings (Bedrock's among them) and refuses chat, and the other way round, before anything
//! is sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use obs_models::embeddings::EmbeddingsRequest;
use obs_service::config::Config;
use obs_service::{Gateway, RequestContext};
use pretty_assertions::assert_eq;

const GROUPS: &str = r#"
[models.embed]
targets = ["bedrock/amazon.titan-embed-text-v2:0", "cohere.embed-english-v3", "openai/text-embedding-3-small"]

[models.chat]
targets = ["bedrock/amazon.nova-lite-v1:0", "gpt-4o"]

[aliases]
vectors = "bedrock:cohere.embed-multilingual-v3"
"#;

fn gateway(toml: &str) -> Gateway {
    let config = Config::from_toml(toml).unwrap();
    config.validate().unwrap();
    Gateway::new(config).unwrap()
}

#[test]
fn a_group_mixing_embedding_and_chat_models_is_refused_at_start_up() {
    for (toml, key, message) in [
        (
            "[models.g]\ntargets = [\"amazon.titan-embed-text-v2:0\", \"openai/gpt-4o-mini\"]\n",
            "models.g",
            "mixes embedding models ('bedrock/amazon.titan-embed-text-v2:0') and chat models ('openai/gpt-4o-mini'): a group serves one kind of request; make one group of each",
        ),
        (
            // Through a nested group too.
            "[models.inner]\ntargets = [\"text-embedding-3-small\"]\n[models.g]\ntargets = [\"gpt-4o\", \"inner\"]\n",
            "models.g",
            "mixes chat models ('openai/gpt-4o') and embedding models ('openai/text-embedding-3-small'): a group serves one kind of request; make one group of each",
        ),
    ] {
        let error = Config::from_toml(toml).unwrap().validate().unwrap_err();
        assert_eq!((error.key.as_str(), error.message.as_str()), (key, message), "{toml}");
        let error = Gateway::new(Config::from_toml(toml).unwrap()).unwrap_err();
        assert_eq!((error.key.as_str(), error.message.as_str()), (key, message), "{toml}");
    }
    // Another server's model ids are its own business: they mix with either kind.
    gateway(
        "[providers.x]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n[models.g]\ntargets = [\"x/bge-m3\", \"text-embedding-3-small\"]\n",
    );
}

#[test]
fn groups_and_aliases_refuse_requests_of_the_other_kind() {
    let gateway = gateway(GROUPS);
    let context = RequestContext::default();
    let embeddings = |model: &str| {
        let request: EmbeddingsRequest =
            serde_json::from_value(serde_json::json!({"model": model, "input": "x"})).unwrap();
        gateway.plan_embeddings(&request, &context)
    };
    assert!(embeddings("embed").is_ok());
    assert!(embeddings("vectors").is_ok());
    let chat = |model: &str| gateway.routing().plan(model, || None, &context);
    assert!(chat("chat").is_ok());
    for (result, message) in [
        (chat("embed"), "'embed' is a group of embedding models: use /v1/embeddings."),
        (chat("vectors"), "'vectors' is an alias of embedding models: use /v1/embeddings."),
        (embeddings("chat"), "'chat' is a group of chat models: /v1/embeddings serves embedding models only."),
    ] {
        let error = result.unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.param.as_deref(), error.message.as_str()),
            ("invalid_value", Some("model"), message)
        );
    }
}
