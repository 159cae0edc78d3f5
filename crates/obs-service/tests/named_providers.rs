//! Named providers, each its own obs-mock: explicit `<provider>/<model-id>` ids, a provider's `models` list,
//! `/v1/models` with named providers and groups, an Azure-style base URL with a query, and five providers of both
//! kinds in one gateway.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod mocks;

use mocks::{
    HAIKU, HAIKU_INVOKE, NO_RETRIES, access_key_id, bedrock, bedrock_at, deltas, gateway, mock, openai, request, serve,
    served,
};
use obs_models::error::ErrorCode;
use obs_service::routing::RouteRule;
use obs_service::{ChatService, RequestContext};
use pretty_assertions::assert_eq;

const LLAMA: &str = "meta-llama/Llama-3.1-8B-Instruct";

#[tokio::test]
async fn explicit_and_listed_ids_reach_their_provider_with_the_upstream_id() {
    let (vllm, eu, other) = (mock().await, mock().await, mock().await);
    let gateway = gateway(&format!(
        "{NO_RETRIES}{}models = [\"llama-local\"]\n{}{}",
        openai("vllm", &vllm),
        bedrock_at("br-eu", &eu.base_url(), "eu-west-1"),
        openai("other", &other),
    ));
    let plan_of = |model: &str| gateway.plan(&request(model, false), &RequestContext::default());
    let mut before = vec![];

    let plan = plan_of(&format!("vllm/{LLAMA}")).unwrap();
    assert_eq!((plan.rule(), plan.targets().collect::<Vec<_>>()), (RouteRule::Explicit, vec![("vllm", LLAMA)]));
    assert_eq!(serve(&gateway, &format!("vllm/{LLAMA}"), false).await, served("vllm", LLAMA, 1, 0));
    assert_eq!(deltas(&[&vllm, &eu, &other], &mut before), [1, 0, 0]);
    let last = vllm.recorder().last().unwrap();
    assert_eq!((last.path.as_str(), last.model.as_deref()), ("/v1/chat/completions", Some(LLAMA)));
    assert_eq!(last.json()["model"], LLAMA, "the body carries the upstream id, without the provider");
    assert_eq!(last.header("authorization"), Some("Bearer sk-vllm"), "the provider's own key");

    assert_eq!(serve(&gateway, &format!("br-eu/{HAIKU}"), true).await, served("br-eu", HAIKU, 1, 0));
    assert_eq!(deltas(&[&vllm, &eu, &other], &mut before), [0, 1, 0]);
    let last = eu.recorder().last().unwrap();
    assert_eq!(last.path, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream");
    let signature = last.header("authorization").unwrap();
    let scope = format!("Credential={}/", access_key_id("br-eu"));
    assert!(signature.contains(&scope) && signature.contains("/eu-west-1/bedrock/aws4_request"), "{signature}");

    let plan = plan_of("llama-local").unwrap();
    assert_eq!((plan.rule(), plan.targets().collect::<Vec<_>>()), (RouteRule::Listed, vec![("vllm", "llama-local")]));
    assert_eq!(serve(&gateway, "llama-local", false).await, served("vllm", "llama-local", 1, 0));
    assert_eq!(serve(&gateway, "other/llama-local", false).await, served("other", "llama-local", 1, 0));
    assert_eq!(deltas(&[&vllm, &eu, &other], &mut before), [1, 0, 1]);

    // Mistakes are the client's, found while planning: nothing is sent.
    let error = plan_of("vllm/").unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("model")), "{error}");
    let error = plan_of("br-eu/amazon.titan-embed-text-v2:0").unwrap_err();
    assert_eq!((error.code, error.param.as_deref()), (ErrorCode::InvalidValue, Some("model")), "{error}");
    // A first segment that names no provider is part of the id (Hugging Face style), for the default provider.
    let plan = plan_of(LLAMA).unwrap();
    assert_eq!((plan.rule(), plan.targets().collect::<Vec<_>>()), (RouteRule::Default, vec![("openai", LLAMA)]));
    assert_eq!(deltas(&[&vllm, &eu, &other], &mut before), [0, 0, 0]);
    assert_eq!(gateway.built_adapters(), 3, "vllm, br-eu, other; never the unconfigured built-ins");
}

#[tokio::test]
async fn model_list_names_each_provider_and_the_groups() {
    let (vllm, eu, other) = (mock().await, mock().await, mock().await);
    let gateway = gateway(&format!(
        "{}models = [\"llama-local\", \"{LLAMA}\"]\n{}{}{}\
         [models.chat]\ntargets = [\"vllm/llama-local\", \"br-eu/{HAIKU}\"]\n\
         [aliases]\nfast = \"other:gpt-4o-mini\"\n",
        openai("vllm", &vllm),
        bedrock("br-eu", &eu),
        openai("other", &other),
        mocks::openai_at("down", mocks::UNREACHABLE_OPENAI),
    ));
    // `down` cannot be asked: left out (a warning), the others listed.
    let list = gateway.list_models().await.unwrap();
    let ids: Vec<(&str, &str)> = list.data.iter().map(|m| (m.id.as_str(), m.owned_by.as_str())).collect();
    assert_eq!(
        ids,
        [
            ("br-eu/amazon.nova-lite-v1:0", "br-eu"),
            ("br-eu/amazon.titan-embed-text-v2:0", "br-eu"),
            ("br-eu/amazon.titan-text-express-v1", "br-eu"),
            ("br-eu/anthropic.claude-3-haiku-20240307-v1:0", "br-eu"),
            ("br-eu/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/claudeapp01", "br-eu"),
            ("br-eu/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/novaapp01", "br-eu"),
            ("br-eu/cohere.embed-english-v3", "br-eu"),
            ("br-eu/cohere.embed-v4:0", "br-eu"),
            ("br-eu/global.anthropic.claude-sonnet-4-5-20250929-v1:0", "br-eu"),
            ("br-eu/meta.llama3-8b-instruct-v1:0", "br-eu"),
            ("br-eu/mistral.mistral-large-2402-v1:0", "br-eu"),
            ("br-eu/us.amazon.nova-lite-v1:0", "br-eu"),
            ("br-eu/us.anthropic.claude-3-5-sonnet-20241022-v2:0", "br-eu"),
            ("chat", "obs"),
            ("fast", "obs"),
            ("llama-local", "vllm"),
            ("meta-llama/Llama-3.1-8B-Instruct", "vllm"),
            ("other/gpt-4o", "other"),
            ("other/gpt-4o-mini", "other"),
            ("other/o3-mini", "other"),
            ("other/obs-mock-tool", "other"),
            ("other/text-embedding-3-small", "other"),
        ]
    );
    assert_eq!(vllm.recorder().count(), 0, "a provider with a `models` list is not asked");
    // Every listed id routes where the list says.
    for model in list.data.iter().map(|m| m.id.as_str()) {
        // Embedding models route as embeddings (chat refuses them).
        let plan = if model.contains("embed") {
            gateway.routing().plan_embeddings(model, || None, &RequestContext::default()).unwrap()
        } else {
            gateway.plan(&request(model, false), &RequestContext::default()).unwrap()
        };
        let owner = list.data.iter().find(|m| m.id == model).unwrap().owned_by.as_str();
        if owner != "obs" {
            assert_eq!(&**plan.provider().unwrap(), owner, "{model}");
        }
    }
}

#[tokio::test]
async fn an_azure_style_base_url_keeps_its_query() {
    let azure = mock().await;
    let gateway = gateway(&format!(
        "{NO_RETRIES}[providers.azure]\nkind = \"openai\"\napi_key = \"sk-azure\"\nbase_url = \"{}?api-version=2024-10-21\"\n\
         [providers.azure.extra_headers]\napi-key = \"azure-secret\"\n",
        azure.openai_base_url(),
    ));
    for stream in [false, true] {
        assert_eq!(serve(&gateway, "azure/gpt-4o", stream).await, served("azure", "gpt-4o", 1, 0));
        let last = azure.recorder().last().unwrap();
        // The recorder keeps the path only; the query must not have been glued into it.
        assert_eq!(last.path, "/v1/chat/completions", "stream={stream}");
        assert_eq!(last.header("api-key"), Some("azure-secret"));
        // (The mock insists on a bearer token, so this provider has a key besides Azure's header.)
        assert_eq!(last.header("authorization"), Some("Bearer sk-azure"));
    }

    // The query itself, seen on the wire.
    let body = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"captured"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
    let (url, captured) = mocks::one_shot("200 OK", &[("content-type", "application/json")], body).await;
    let captured_gateway = mocks::gateway(&format!(
        "{NO_RETRIES}[providers.azure]\nkind = \"openai\"\nbase_url = \"{url}/openai/deployments/gpt4o?api-version=2024-10-21\"\n",
    ));
    let answer = captured_gateway.chat_completion(request("azure/gpt-4o", false)).await.unwrap();
    assert_eq!(mocks::text(answer), "captured");
    assert_eq!(
        captured.await.unwrap(),
        "POST /openai/deployments/gpt4o/chat/completions?api-version=2024-10-21 HTTP/1.1"
    );
}

#[tokio::test]
async fn five_providers_of_both_kinds_in_one_gateway() {
    let mocks = [mock().await, mock().await, mock().await, mock().await, mock().await];
    let names = ["oa1", "oa2", "oa3", "br1", "br2"];
    let models = ["gpt-4o", "gpt-4o-mini", "o3-mini", HAIKU, "us.amazon.nova-lite-v1:0"];
    let paths = [
        "/v1/chat/completions",
        "/v1/chat/completions",
        "/v1/chat/completions",
        HAIKU_INVOKE,
        "/model/us.amazon.nova-lite-v1%3A0/converse",
    ];
    let mut toml = NO_RETRIES.to_owned();
    for (i, name) in names.iter().enumerate() {
        toml.push_str(&if i < 3 { openai(name, &mocks[i]) } else { bedrock(name, &mocks[i]) });
    }
    let targets: Vec<String> = names.iter().zip(models).map(|(n, m)| format!("\"{n}/{m}\"")).collect();
    toml.push_str(&format!("[models.mixed]\nstrategy = \"round_robin\"\ntargets = [{}]\n", targets.join(", ")));
    let gateway = gateway(&toml);
    let all: Vec<&obs_mock::MockHandle> = mocks.iter().collect();
    let mut before = vec![];
    assert_eq!(gateway.built_adapters(), 0);

    for (i, (name, model)) in names.iter().zip(models).enumerate() {
        assert_eq!(serve(&gateway, &format!("{name}/{model}"), false).await, served(name, model, 1, 0));
        let mut expected = [0; 5];
        expected[i] = 1;
        assert_eq!(deltas(&all, &mut before), expected, "{name}");
        assert_eq!(mocks[i].recorder().last().unwrap().path, paths[i], "{name}");
        assert_eq!(gateway.built_adapters(), i + 1);
    }

    let mut providers = Vec::new();
    for i in 0..10 {
        providers.push(serve(&gateway, "mixed", i % 2 == 1).await.provider.to_string());
    }
    assert_eq!(providers, names.iter().chain(&names).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!(deltas(&all, &mut before), [2; 5]);
    assert_eq!(gateway.built_adapters(), 5, "one adapter per provider, shared by explicit ids and the group");
}

#[tokio::test]
async fn a_bare_bedrock_arn_target_goes_to_the_built_in_bedrock() {
    let (bedrock_mock, x) = (mock().await, mock().await);
    let arn = format!("arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}");
    let gateway = gateway(&format!(
        "{NO_RETRIES}[bedrock]\nregion = \"us-east-1\"\nendpoint_url = \"{}\"\n\
         [aws]\naccess_key_id = \"AKIDBUILTIN\"\nsecret_access_key = \"s\"\n{}\
         [models.g]\ntargets = [\"{arn}\", \"x/gpt-4o\"]\n",
        bedrock_mock.base_url(),
        openai("x", &x),
    ));
    assert_eq!(serve(&gateway, "g", false).await, served("bedrock", &arn, 1, 0));
    let last = bedrock_mock.recorder().last().unwrap();
    assert_eq!(last.model.as_deref(), Some(arn.as_str()));
    assert!(last.path.ends_with("/invoke"), "{}", last.path);
    assert_eq!(x.recorder().count(), 0);
}
