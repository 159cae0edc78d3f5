//! Anthropic's model names (`claude-sonnet-4-5-20250929`, `claude-sonnet-4-5`, …) as Bedrock model ids, for the
//! Messages route: Claude-native clients name models as Anthropic's API does. A name maps to the Bedrock model's
//! cross-region inference profile of the provider's region group (`us.`, `eu.`, `jp.`, `apac.`) when Bedrock has
//! one there, else its `global.` profile, else the in-region model id. Pure, no I/O. The table is
//! `docs/reference/messages.md` §5.

/// Where a profile of a model exists.
#[derive(Debug, Clone, Copy)]
struct Profiles {
    us: bool,
    eu: bool,
    jp: bool,
    apac: bool,
    global: bool,
}

const fn p(us: bool, eu: bool, jp: bool, apac: bool, global: bool) -> Profiles {
    Profiles { us, eu, jp, apac, global }
}

/// (Anthropic names, Bedrock model id, its inference profiles).
const TABLE: [(&[&str], &str, Profiles); 15] = [
    (&["claude-opus-4-6"], "anthropic.claude-opus-4-6-v1", p(true, true, true, true, true)),
    (&["claude-sonnet-4-6"], "anthropic.claude-sonnet-4-6", p(true, true, true, false, true)),
    (
        &["claude-opus-4-5-20251101", "claude-opus-4-5"],
        "anthropic.claude-opus-4-5-20251101-v1:0",
        p(true, true, false, false, true),
    ),
    (
        &["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        p(true, true, true, false, true),
    ),
    (
        &["claude-haiku-4-5-20251001", "claude-haiku-4-5"],
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        p(true, true, true, false, true),
    ),
    (
        &["claude-opus-4-1-20250805", "claude-opus-4-1"],
        "anthropic.claude-opus-4-1-20250805-v1:0",
        p(true, false, false, false, false),
    ),
    (
        &["claude-opus-4-20250514", "claude-opus-4-0", "claude-4-opus-20250514"],
        "anthropic.claude-opus-4-20250514-v1:0",
        p(true, false, false, false, false),
    ),
    (
        &["claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-4-sonnet-20250514"],
        "anthropic.claude-sonnet-4-20250514-v1:0",
        p(true, true, false, true, true),
    ),
    (
        &["claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"],
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        p(true, true, false, true, false),
    ),
    (
        &["claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest"],
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        p(true, false, false, true, false),
    ),
    (&["claude-3-5-sonnet-20240620"], "anthropic.claude-3-5-sonnet-20240620-v1:0", p(true, true, false, true, false)),
    (
        &["claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"],
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        p(true, false, false, false, false),
    ),
    (
        &["claude-3-opus-20240229", "claude-3-opus-latest"],
        "anthropic.claude-3-opus-20240229-v1:0",
        p(true, false, false, false, false),
    ),
    (&["claude-3-sonnet-20240229"], "anthropic.claude-3-sonnet-20240229-v1:0", p(true, true, false, true, false)),
    (&["claude-3-haiku-20240307"], "anthropic.claude-3-haiku-20240307-v1:0", p(true, true, false, true, false)),
];

/// Whether `name` is one of Anthropic's model names in the table.
pub fn is_anthropic_name(name: &str) -> bool {
    TABLE.iter().any(|(names, _, _)| names.contains(&name))
}

/// The Bedrock id of an Anthropic model name for a provider in `region` (None: the region is not known), or
/// None when the name is not in the table.
///
/// ```
/// use obs_adapters::bedrock::anthropic_models::bedrock_id;
///
/// let id = |name, region| bedrock_id(name, region).unwrap();
/// assert_eq!(id("claude-sonnet-4-5", Some("eu-west-1")), "eu.anthropic.claude-sonnet-4-5-20250929-v1:0");
/// assert_eq!(id("claude-sonnet-4-5-20250929", Some("ap-southeast-1")), "global.anthropic.claude-sonnet-4-5-20250929-v1:0");
/// assert_eq!(id("claude-3-5-haiku-20241022", Some("us-west-2")), "us.anthropic.claude-3-5-haiku-20241022-v1:0");
/// assert_eq!(id("claude-3-5-haiku-20241022", Some("eu-central-1")), "anthropic.claude-3-5-haiku-20241022-v1:0");
/// assert_eq!(bedrock_id("gpt-4o", Some("us-east-1")), None);
/// ```
pub fn bedrock_id(name: &str, region: Option<&str>) -> Option<String> {
    let (_, id, profiles) = TABLE.iter().find(|(names, _, _)| names.contains(&name))?;
    let prefix = region_groups(region.unwrap_or(""))
        .iter()
        .copied()
        .find(|group| match *group {
            "us" => profiles.us,
            "eu" => profiles.eu,
            "jp" => profiles.jp,
            "apac" => profiles.apac,
            _ => false,
        })
        .or(profiles.global.then_some("global"));
    Some(match prefix {
        Some(prefix) => format!("{prefix}.{id}"),
        None => (*id).to_owned(),
    })
}

/// The inference-profile groups a region belongs to, most specific first.
fn region_groups(region: &str) -> &'static [&'static str] {
    if region.starts_with("us-gov-") {
        &[]
    } else if region.starts_with("us-") || region.starts_with("ca-") {
        &["us"]
    } else if region.starts_with("eu-") {
        &["eu"]
    } else if region == "ap-northeast-1" || region == "ap-northeast-3" {
        &["jp", "apac"]
    } else if region.starts_with("ap-") {
        &["apac"]
    } else {
        &[]
    }
}

/// Every (Anthropic name, Bedrock model id) of the table, for documentation and tests.
pub fn names() -> impl Iterator<Item = (&'static str, &'static str)> {
    TABLE.iter().flat_map(|(names, id, _)| names.iter().map(move |name| (*name, *id)))
}
