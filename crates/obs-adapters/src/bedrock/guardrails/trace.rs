//! Converse's guardrail assessment (`trace.guardrail`) as the JSON Bedrock sent — the SDK's types have no serde, so
//! each policy obs reports is written out here: topics, content filters, words, sensitive information, contextual
//! grounding and the invocation metrics. Automated-reasoning findings are not carried (their shape is large and
//! still changing); maps are written in key order so the answer is the same every time.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_bedrockruntime::types::{
    GuardrailAssessment, GuardrailContentPolicyAssessment, GuardrailContextualGroundingPolicyAssessment,
    GuardrailInvocationMetrics, GuardrailSensitiveInformationPolicyAssessment, GuardrailTopicPolicyAssessment,
    GuardrailTraceAssessment, GuardrailWordPolicyAssessment,
};
use serde_json::{Map, Value, json};

/// `{"inputAssessment"?, "outputAssessments"?, "modelOutput"?, "actionReason"?}`.
pub(crate) fn to_json(trace: &GuardrailTraceAssessment) -> Value {
    let mut out = Map::new();
    if let Some(model_output) = &trace.model_output {
        out.insert("modelOutput".into(), json!(model_output));
    }
    if let Some(input) = &trace.input_assessment {
        let sorted: BTreeMap<_, _> = input.iter().map(|(id, a)| (id.clone(), assessment(a))).collect();
        out.insert("inputAssessment".into(), json!(sorted));
    }
    if let Some(outputs) = &trace.output_assessments {
        out.insert("outputAssessments".into(), json!(sorted_lists(outputs)));
    }
    if let Some(reason) = &trace.action_reason {
        out.insert("actionReason".into(), json!(reason));
    }
    Value::Object(out)
}

fn sorted_lists(map: &HashMap<String, Vec<GuardrailAssessment>>) -> BTreeMap<String, Vec<Value>> {
    map.iter().map(|(id, list)| (id.clone(), list.iter().map(assessment).collect())).collect()
}

pub(super) fn assessment(a: &GuardrailAssessment) -> Value {
    let mut out = Map::new();
    if let Some(p) = &a.topic_policy {
        out.insert("topicPolicy".into(), topics(p));
    }
    if let Some(p) = &a.content_policy {
        out.insert("contentPolicy".into(), content(p));
    }
    if let Some(p) = &a.word_policy {
        out.insert("wordPolicy".into(), words(p));
    }
    if let Some(p) = &a.sensitive_information_policy {
        out.insert("sensitiveInformationPolicy".into(), sensitive(p));
    }
    if let Some(p) = &a.contextual_grounding_policy {
        out.insert("contextualGroundingPolicy".into(), grounding(p));
    }
    if let Some(m) = &a.invocation_metrics {
        out.insert("invocationMetrics".into(), metrics(m));
    }
    Value::Object(out)
}

/// `detected` only when Bedrock sent it.
fn with_detected(mut value: Value, detected: Option<bool>) -> Value {
    if let (Some(detected), Value::Object(object)) = (detected, &mut value) {
        object.insert("detected".into(), json!(detected));
    }
    value
}

fn topics(p: &GuardrailTopicPolicyAssessment) -> Value {
    let topics: Vec<Value> = p
        .topics
        .iter()
        .map(|t| {
            with_detected(json!({"name": t.name, "type": t.r#type.as_str(), "action": t.action.as_str()}), t.detected)
        })
        .collect();
    json!({ "topics": topics })
}

fn content(p: &GuardrailContentPolicyAssessment) -> Value {
    let filters: Vec<Value> = p
        .filters
        .iter()
        .map(|f| {
            let mut v = json!({"type": f.r#type.as_str(), "confidence": f.confidence.as_str()});
            if let (Some(strength), Value::Object(o)) = (&f.filter_strength, &mut v) {
                o.insert("filterStrength".into(), json!(strength.as_str()));
            }
            if let Value::Object(o) = &mut v {
                o.insert("action".into(), json!(f.action.as_str()));
            }
            with_detected(v, f.detected)
        })
        .collect();
    json!({ "filters": filters })
}

fn words(p: &GuardrailWordPolicyAssessment) -> Value {
    let custom: Vec<Value> = p
        .custom_words
        .iter()
        .map(|w| with_detected(json!({"match": w.r#match, "action": w.action.as_str()}), w.detected))
        .collect();
    let managed: Vec<Value> = p
        .managed_word_lists
        .iter()
        .map(|w| {
            with_detected(
                json!({"match": w.r#match, "type": w.r#type.as_str(), "action": w.action.as_str()}),
                w.detected,
            )
        })
        .collect();
    json!({ "customWords": custom, "managedWordLists": managed })
}

fn sensitive(p: &GuardrailSensitiveInformationPolicyAssessment) -> Value {
    let pii: Vec<Value> = p
        .pii_entities
        .iter()
        .map(|e| {
            with_detected(
                json!({"match": e.r#match, "type": e.r#type.as_str(), "action": e.action.as_str()}),
                e.detected,
            )
        })
        .collect();
    let regexes: Vec<Value> = p
        .regexes
        .iter()
        .map(|r| {
            let mut v = Map::new();
            if let Some(name) = &r.name {
                v.insert("name".into(), json!(name));
            }
            if let Some(m) = &r.r#match {
                v.insert("match".into(), json!(m));
            }
            if let Some(regex) = &r.regex {
                v.insert("regex".into(), json!(regex));
            }
            v.insert("action".into(), json!(r.action.as_str()));
            with_detected(Value::Object(v), r.detected)
        })
        .collect();
    json!({ "piiEntities": pii, "regexes": regexes })
}

fn grounding(p: &GuardrailContextualGroundingPolicyAssessment) -> Value {
    let filters: Vec<Value> = p
        .filters
        .iter()
        .flatten()
        .map(|f| {
            with_detected(
                json!({"type": f.r#type.as_str(), "threshold": f.threshold, "score": f.score,
                    "action": f.action.as_str()}),
                f.detected,
            )
        })
        .collect();
    json!({ "filters": filters })
}

fn metrics(m: &GuardrailInvocationMetrics) -> Value {
    let mut out = Map::new();
    if let Some(latency) = m.guardrail_processing_latency {
        out.insert("guardrailProcessingLatency".into(), json!(latency));
    }
    if let Some(u) = &m.usage {
        out.insert(
            "usage".into(),
            json!({"topicPolicyUnits": u.topic_policy_units, "contentPolicyUnits": u.content_policy_units,
                "wordPolicyUnits": u.word_policy_units,
                "sensitiveInformationPolicyUnits": u.sensitive_information_policy_units,
                "sensitiveInformationPolicyFreeUnits": u.sensitive_information_policy_free_units,
                "contextualGroundingPolicyUnits": u.contextual_grounding_policy_units}),
        );
    }
    if let Some(text) = m.guardrail_coverage.as_ref().and_then(|c| c.text_characters.as_ref()) {
        let mut characters = Map::new();
        if let Some(guarded) = text.guarded {
            characters.insert("guarded".into(), json!(guarded));
        }
        if let Some(total) = text.total {
            characters.insert("total".into(), json!(total));
        }
        out.insert("guardrailCoverage".into(), json!({ "textCharacters": characters }));
    }
    Value::Object(out)
}
