//! Text helpers shared by the verdict and the renderings: redaction, the report's enum names,
//! truncation.

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
}
