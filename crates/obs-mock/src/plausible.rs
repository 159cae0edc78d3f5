//! Plausible leaf values for a property, from its name, its `format` and the prompt: a city for `location`, the
//! user's question for `query`, an e-mail address for `format: email`. `variant` picks another plausible value
//! (the second of two parallel calls, the second item of an array).

use serde_json::{Value, json};

/// (city, country, latitude, longitude, time zone). The first five are, in order, what calls use when the prompt
/// names none.
const CITIES: [City; 16] = [
    ("Paris", "France", 48.8566, 2.3522, "Europe/Paris"),
    ("Tokyo", "Japan", 35.6762, 139.6503, "Asia/Tokyo"),
    ("London", "United Kingdom", 51.5074, -0.1278, "Europe/London"),
    ("New York", "United States", 40.7128, -74.006, "America/New_York"),
    ("Sydney", "Australia", -33.8688, 151.2093, "Australia/Sydney"),
    ("Berlin", "Germany", 52.52, 13.405, "Europe/Berlin"),
    ("Madrid", "Spain", 40.4168, -3.7038, "Europe/Madrid"),
    ("Rome", "Italy", 41.9028, 12.4964, "Europe/Rome"),
    ("Amsterdam", "Netherlands", 52.3676, 4.9041, "Europe/Amsterdam"),
    ("Toronto", "Canada", 43.6532, -79.3832, "America/Toronto"),
    ("Seattle", "United States", 47.6062, -122.3321, "America/Los_Angeles"),
    ("San Francisco", "United States", 37.7749, -122.4194, "America/Los_Angeles"),
    ("Mumbai", "India", 19.076, 72.8777, "Asia/Kolkata"),
    ("Singapore", "Singapore", 1.3521, 103.8198, "Asia/Singapore"),
    ("Cairo", "Egypt", 30.0444, 31.2357, "Africa/Cairo"),
    ("Lisbon", "Portugal", 38.7223, -9.1393, "Europe/Lisbon"),
];
const DEFAULT_CITIES: usize = 5;

type City = (&'static str, &'static str, f64, f64, &'static str);

/// What leaf values are drawn from.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    prompt: &'a str,
    /// Indices into [`CITIES`]: those the prompt names, in order, then the defaults.
    cities: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(prompt: &'a str) -> Source<'a> {
        let lower = prompt.to_lowercase();
        let mut named: Vec<(usize, usize)> = CITIES
            .iter()
            .enumerate()
            .filter_map(|(i, (city, ..))| find_word(&lower, &city.to_lowercase()).map(|at| (at, i)))
            .collect();
        named.sort_unstable();
        let mut cities: Vec<usize> = named.into_iter().map(|(_, i)| i).collect();
        for i in 0..DEFAULT_CITIES {
            if !cities.contains(&i) {
                cities.push(i);
            }
        }
        Source { prompt: prompt.trim(), cities }
    }

    fn city(&self, variant: usize) -> City {
        let index = self.cities.get(variant % self.cities.len().max(1)).copied().unwrap_or(0);
        CITIES[index % CITIES.len()]
    }

    fn prompt_or(&self, fallback: &str) -> String {
        if self.prompt.is_empty() { fallback.to_owned() } else { self.prompt.to_owned() }
    }

    /// A string for a property called `name` (None: an array item or the root) with `format`.
    pub(crate) fn string(&self, name: Option<&str>, format: Option<&str>, variant: usize) -> String {
        let n = variant + 1;
        let day = 1 + variant % 28;
        match format.unwrap_or("") {
            "date" => return format!("2025-06-{day:02}"),
            "date-time" => return format!("2025-06-{day:02}T09:30:00Z"),
            "time" => return format!("{:02}:30:00", 9 + variant % 12),
            "email" | "idn-email" => return ["alex@example.com", "sam@example.com"][variant % 2].to_owned(),
            "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => return format!("https://example.com/{n}"),
            "hostname" | "idn-hostname" => return "example.com".to_owned(),
            "ipv4" => return format!("192.0.2.{n}"),
            "ipv6" => return format!("2001:db8::{n}"),
            "uuid" => return format!("3f1c6e2a-8b4d-4c1e-9a7f-{:012x}", 0x5e2d_0b6a_9c10_u64 + n as u64),
            "duration" => return format!("PT{n}H"),
            _ => {}
        }
        let words = name.map(name_words).unwrap_or_default();
        let has = |candidates: &[&str]| words.iter().any(|w| candidates.contains(&w.as_str()));
        let (city, country, _, _, zone) = self.city(variant);
        if has(&["country"]) {
            return country.to_owned();
        }
        if has(&["city", "location", "place", "destination", "origin", "town", "where", "region"]) {
            return city.to_owned();
        }
        if has(&["email", "mail"]) {
            return ["alex@example.com", "sam@example.com"][variant % 2].to_owned();
        }
        if has(&["url", "uri", "link", "website", "href", "homepage"]) {
            return format!("https://example.com/{n}");
        }
        if has(&["timezone", "tz"]) {
            return zone.to_owned();
        }
        if has(&["date", "day", "birthday", "deadline"]) {
            return format!("2025-06-{day:02}");
        }
        if has(&["time", "timestamp"]) {
            return format!("2025-06-{day:02}T09:30:00Z");
        }
        if has(&["unit", "units"]) {
            return "celsius".to_owned();
        }
        if has(&["language", "lang", "locale"]) {
            return "en".to_owned();
        }
        if has(&["currency"]) {
            return "EUR".to_owned();
        }
        if has(&["phone", "telephone", "mobile"]) {
            return format!("+1-202-555-01{:02}", n % 100);
        }
        if has(&["id", "identifier", "key", "sku"]) {
            return format!("id_{n}");
        }
        if has(&["file", "filename", "path"]) {
            return format!("notes-{n}.txt");
        }
        if has(&["query", "q", "question", "prompt", "search", "text", "message", "input", "content", "topic"]) {
            return self.prompt_or("example");
        }
        if has(&["answer", "response", "reply", "result", "output"]) {
            return format!("You said: {}", self.prompt);
        }
        if has(&["summary", "description", "reason", "explanation", "comment", "note", "notes"]) {
            return format!("About: {}", self.prompt_or("the request"));
        }
        if has(&["name", "author", "user", "username", "person"]) {
            return ["Alex Morgan", "Sam Lee"][variant % 2].to_owned();
        }
        if has(&["title", "subject", "headline"]) {
            return format!("Example title {n}");
        }
        if has(&["color", "colour"]) {
            return ["blue", "green"][variant % 2].to_owned();
        }
        if has(&["status", "state"]) {
            return "active".to_owned();
        }
        if variant == 0 { "example".to_owned() } else { format!("example {n}") }
    }

    /// A number for a property called `name`, before the schema's bounds are applied.
    pub(crate) fn number(&self, name: Option<&str>, integer: bool, variant: usize) -> f64 {
        let words = name.map(name_words).unwrap_or_default();
        let has = |candidates: &[&str]| words.iter().any(|w| candidates.contains(&w.as_str()));
        let (_, _, latitude, longitude, _) = self.city(variant);
        let value = if has(&["lat", "latitude"]) {
            latitude
        } else if has(&["lon", "lng", "long", "longitude"]) {
            longitude
        } else if has(&["age"]) {
            30.0
        } else if has(&["year"]) {
            2025.0
        } else if has(&["count", "limit", "num", "number", "results", "n", "k", "top", "days", "size", "quantity"]) {
            3.0
        } else if has(&["page"]) {
            1.0
        } else if has(&["price", "amount", "cost", "total"]) {
            19.99
        } else if has(&["rating", "score", "stars"]) {
            4.0
        } else if has(&["percent", "percentage"]) {
            50.0
        } else if has(&["temperature", "temp"]) {
            21.5
        } else if has(&["hour"]) {
            9.0
        } else if integer {
            1.0
        } else {
            1.5
        };
        let value = value + variant as f64;
        if integer { value.round() } else { value }
    }
}

/// A JSON number: an integer when the value is integral and the schema asks for one, else a float.
pub(crate) fn number_value(value: f64, integer: bool) -> Value {
    if integer {
        // Rounded and bounded by the caller; `as` saturates.
        json!(value.round() as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(json!(0), Value::Number)
    }
}

/// `maxResults`, `max_results`, `max-results` → ["max", "results"].
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.extend((!current.is_empty()).then_some(current));
    // `cities` names a list of cities: its items match what `city` matches.
    let singular: Vec<String> = words
        .iter()
        .filter_map(|w| {
            w.strip_suffix("ies").map(|stem| format!("{stem}y")).or_else(|| w.strip_suffix('s').map(str::to_owned))
        })
        .filter(|w| !w.is_empty())
        .collect();
    words.extend(singular);
    words
}

/// Where `word` occurs in `text` as a whole word (both already lower case).
fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = text[at + word.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_names() {
        assert_eq!(name_words("maxResults"), ["max", "results", "result"]);
        assert_eq!(name_words("max_results"), ["max", "results", "result"]);
        assert_eq!(name_words("cityName"), ["city", "name"]);
        assert_eq!(name_words("q"), ["q"]);
        assert_eq!(name_words("cities"), ["cities", "city"]);
    }

    #[test]
    fn cities_named_in_the_prompt_come_first() {
        let source = Source::new("Compare Berlin with the comparison of Rome");
        assert_eq!(source.string(Some("city"), None, 0), "Berlin");
        assert_eq!(source.string(Some("city"), None, 1), "Rome");
        assert_eq!(source.string(Some("city"), None, 2), "Paris");
        assert_eq!(Source::new("x").string(Some("location"), None, 1), "Tokyo");
    }
}
