//! Raw RFC 822 mail -> the text a model sees: subject + body.
//!
//! Parsing is done by `mail-parser` (Stalwart Labs): a maintained, fuzzed, zero-copy parser that
//! handles RFC 2047 encoded headers, MIME multipart trees, quoted-printable and base64, dozens
//! of charsets (with its `full_encoding` feature, through `encoding_rs`) and converts HTML parts
//! to text. Raw headers are deliberately left out: SpamAssassin's own `X-Spam-*` headers and
//! mailing-list headers leak the label.

use mail_parser::{MessageParser, MimeHeaders};

/// A parsed mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
    /// Characters that could not be decoded and were replaced by U+FFFD.
    pub replaced_chars: usize,
    /// The body came from an HTML part only.
    pub html_only: bool,
}

impl Mail {
    /// Subject and body, separated by a blank line (what features and models read).
    pub fn text(&self) -> String {
        match (self.subject.is_empty(), self.body.is_empty()) {
            (true, _) => self.body.clone(),
            (_, true) => self.subject.clone(),
            _ => format!("{}\n\n{}", self.subject, self.body),
        }
    }
}

/// Parse one raw mail. Returns `None` only when the bytes hold no message at all.
pub fn parse_mail(raw: &[u8]) -> Option<Mail> {
    // An mbox "From " separator line is not a header; drop it so the parser sees real headers.
    let raw = if raw.starts_with(b"From ") {
        raw.iter()
            .position(|&b| b == b'\n')
            .map_or(&raw[raw.len()..], |i| &raw[i + 1..])
    } else {
        raw
    };
    let msg = MessageParser::default().parse(raw)?;
    let subject = msg.subject().unwrap_or("").trim().to_string();
    let mut body = String::new();
    let mut from_text_part = false;
    for i in 0..msg.text_body_count() {
        let is_html = msg
            .text_part(i as u32)
            .and_then(|p| p.content_type())
            .is_some_and(|ct| ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html")));
        from_text_part |= !is_html;
        if let Some(t) = msg.body_text(i) {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(t.trim());
        }
    }
    let html_only = !from_text_part && msg.html_body_count() > 0;
    if body.is_empty() {
        for i in 0..msg.html_body_count() {
            if let Some(t) = msg.html_part(i as u32).and_then(|p| p.text_contents()) {
                body.push_str(&mail_parser::decoders::html::html_to_text(t));
            }
        }
    }
    let replaced_chars = subject.matches('\u{FFFD}').count() + body.matches('\u{FFFD}').count();
    Some(Mail {
        subject,
        body,
        replaced_chars,
        html_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_subject_and_quoted_printable_body() {
        let raw = b"From someone@example.com  Wed Dec  4 11:52:36 2002\n\
Subject: =?iso-8859-1?Q?Caf=E9_gratuit?=\n\
X-Spam-Status: Yes\n\
Content-Type: text/plain; charset=iso-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
Un caf=E9 pour vous =\n\
ce soir.\n";
        let m = parse_mail(raw).unwrap();
        assert_eq!(m.subject, "Caf\u{e9} gratuit");
        assert_eq!(m.body, "Un caf\u{e9} pour vous ce soir.");
        assert!(
            !m.text().contains("X-Spam"),
            "headers must not leak: {}",
            m.text()
        );
        assert_eq!(m.replaced_chars, 0);
    }

    #[test]
    fn base64_multipart_and_html_only() {
        let raw = b"Subject: hi\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQ=\n--b\nContent-Type: text/html\n\n<p>Hello <b>world</b></p>\n--b--\n";
        let m = parse_mail(raw).unwrap();
        assert_eq!(m.body, "Hello world");
        assert!(!m.html_only);
        let raw = b"Subject: offer\nContent-Type: text/html\n\n<html><head><style>p{color:red}</style></head><body><p>Buy <a href='x'>now</a></p><script>x()</script></body></html>\n";
        let m = parse_mail(raw).unwrap();
        assert!(m.html_only);
        assert!(
            m.body.contains("Buy") && m.body.contains("now"),
            "{}",
            m.body
        );
        assert!(
            !m.body.contains("<p>") && !m.body.contains("color:red"),
            "{}",
            m.body
        );
    }

    #[test]
    fn koi8_charset_is_converted() {
        // "Привет" in KOI8-R
        let mut raw = b"Subject: test\nContent-Type: text/plain; charset=koi8-r\n\n".to_vec();
        raw.extend_from_slice(&[0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4, b'\n']);
        let m = parse_mail(&raw).unwrap();
        assert_eq!(m.body, "Привет");
    }
}
