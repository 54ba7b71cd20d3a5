//! Text helpers shared by the verdict, the renderings and the alert stage: redaction (of text
//! and of whole events), chat escaping, the report's enum names, truncation.

use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// Presigned-URL credentials and signatures never leave the doctor.
static PRESIGNED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token|SignedHeaders|Date|Expires|Algorithm)=)[^&\s\x22']+")
        .unwrap()
});

/// Replaces presigned-URL query values with `REDACTED`.
pub fn redact(text: &str) -> String {
    PRESIGNED.replace_all(text, "${1}REDACTED").into_owned()
}

/// What stands in for a value the doctor must not keep.
pub const REDACTED: &str = "REDACTED";

/// An event (or any JSON) fit to store or log: every `environment` entry's `value` (task and
/// container overrides carry them) replaced with `REDACTED`, and presigned-URL credentials in
/// every string redacted. Names and the rest of the structure stay.
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(redact(text)),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, child)| {
                    let child = match (key.as_str(), child) {
                        ("environment", Value::Array(entries)) => {
                            Value::Array(entries.iter().map(redact_entry).collect())
                        }
                        _ => redact_json(child),
                    };
                    (key.clone(), child)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One `{"name": …, "value": …}` environment entry with its value redacted.
fn redact_entry(entry: &serde_json::Value) -> serde_json::Value {
    let mut entry = redact_json(entry);
    if let Some(value) = entry.get_mut("value") {
        *value = serde_json::Value::String(REDACTED.into());
    }
    entry
}

/// Text from an account or an event made safe for a chat message (Slack and Teams through
/// Amazon Q Developer in chat applications, `client-markdown`): `&`, `<` and `>` become
/// entities, so nothing parses as a link, a mention or a `<!channel>`-style special; `@here`,
/// `@channel` and `@everyone` lose their trigger (a word joiner after the `@`); and a look-alike
/// stands for a `*`, `_` or `~` that could open formatting (at the start of a word) and for
/// every `` ` ``, so no text changes how ours reads.
pub fn chat_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let opens = previous.is_none_or(|p| !p.is_alphanumeric());
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push('\u{2035}'),
            '*' if opens => out.push('\u{2217}'),
            '_' if opens => out.push('\u{FF3F}'),
            '~' if opens => out.push('\u{223C}'),
            '@' => {
                out.push('@');
                let word: String = rest[1..]
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(word.as_str(), "here" | "channel" | "everyone") {
                    out.push('\u{2060}');
                }
            }
            c => out.push(c),
        }
        previous = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A unit enum variant as its serde name (`secrets-manager`); empty for anything else.
pub fn enum_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Cuts at a character boundary, marking the cut.
pub fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_urls_are_redacted() {
        let text = "failed to do request: Get \
                    \"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/x?\
                    X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA123%2F20240101&\
                    X-Amz-Signature=abcdef0123\": dial tcp";
        let redacted = redact(text);
        assert!(!redacted.contains("ASIA123"), "{redacted}");
        assert!(!redacted.contains("abcdef0123"), "{redacted}");
        assert!(redacted.contains("X-Amz-Signature=REDACTED"));
        assert!(redacted.contains("starport-layer-bucket"));
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("ééé", 3), "ééé");
        assert_eq!(truncate("éééé", 3), "éé…");
    }

    #[test]
    fn chat_text_cannot_mention_or_link() {
        let hostile =
            "ResourceInitializationError <!channel> <https://evil.example|Open> @here @Channel a&b";
        let safe = chat_escape(hostile);
        for raw in ["<!channel>", "<https://", "|Open>", "@here", "@Channel"] {
            assert!(!safe.contains(raw), "{raw} survives in {safe}");
        }
        assert!(safe.contains("&lt;!channel&gt;"), "{safe}");
        assert!(safe.contains("a&amp;b"), "{safe}");
        assert_eq!(
            chat_escape("plain text, no specials"),
            "plain text, no specials"
        );
        assert_eq!(chat_escape("user@example.com"), "user@example.com");
    }

    #[test]
    fn events_lose_environment_values_and_presigned_credentials() {
        let event = serde_json::json!({
            "detail": {
                "overrides": {"containerOverrides": [{"name": "web", "environment": [
                    {"name": "DB_PASSWORD", "value": "hunter2"}
                ]}]},
                "stoppedReason": "Get https://b.s3.amazonaws.com/k?X-Amz-Credential=ASIAKEY&X-Amz-Signature=cafe01",
            }
        });
        let text = redact_json(&event).to_string();
        for secret in ["hunter2", "ASIAKEY", "cafe01"] {
            assert!(!text.contains(secret), "{secret} survives in {text}");
        }
        assert!(text.contains("DB_PASSWORD"), "names stay: {text}");
    }
}
