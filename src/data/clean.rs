//! Configurable text cleaning, shown before/after on examples so students see what it does.

use super::corpus::{Corpus, TEXT};
use crate::error::Result;
use polars::prelude::*;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\x22']+").expect("url regex")
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b").expect("email regex"));
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d+(?:[.,]\d+)*\b").expect("number regex"));
static SPACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s+").expect("space regex"));

/// Text cleaning steps, applied in a fixed order: placeholders first (so `HTTP://X.COM` is
/// still recognised), then lowercase, then whitespace.
#[derive(Debug, Clone, Serialize)]
pub struct Cleaner {
    /// Lowercase (Unicode-aware). Default: true.
    pub lowercase: bool,
    /// Replace URLs by `<url>`. Default: true.
    pub urls: bool,
    /// Replace e-mail addresses by `<email>`. Default: true.
    pub emails: bool,
    /// Replace numbers by `<num>`. Default: false (prices and amounts are often signal).
    pub numbers: bool,
    /// Collapse runs of whitespace to one space and trim. Default: true.
    pub whitespace: bool,
}

impl Default for Cleaner {
    fn default() -> Self {
        Cleaner {
            lowercase: true,
            urls: true,
            emails: true,
            numbers: false,
            whitespace: true,
        }
    }
}

/// The steps that are on, in the order they run: `URLs -> <url>, e-mails -> <email>, lowercase,
/// whitespace collapsed (numbers kept)`.
impl std::fmt::Display for Cleaner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps: Vec<&str> = [
            (self.urls, "URLs -> <url>"),
            (self.emails, "e-mails -> <email>"),
            (self.numbers, "numbers -> <num>"),
            (self.lowercase, "lowercase"),
            (self.whitespace, "whitespace collapsed"),
        ]
        .into_iter()
        .filter_map(|(on, s)| on.then_some(s))
        .collect();
        if steps.is_empty() {
            return f.write_str("cleaning: none (texts kept as they are)");
        }
        write!(f, "cleaning: {}", steps.join(", "))?;
        if !self.numbers {
            f.write_str(" (numbers kept)")?;
        }
        Ok(())
    }
}

impl Cleaner {
    pub fn new() -> Self {
        Self::default()
    }
    /// A cleaner that changes nothing.
    pub fn none() -> Self {
        Cleaner {
            lowercase: false,
            urls: false,
            emails: false,
            numbers: false,
            whitespace: false,
        }
    }
    pub fn lowercase(mut self, on: bool) -> Self {
        self.lowercase = on;
        self
    }
    pub fn urls(mut self, on: bool) -> Self {
        self.urls = on;
        self
    }
    pub fn emails(mut self, on: bool) -> Self {
        self.emails = on;
        self
    }
    pub fn numbers(mut self, on: bool) -> Self {
        self.numbers = on;
        self
    }
    pub fn whitespace(mut self, on: bool) -> Self {
        self.whitespace = on;
        self
    }

    /// Clean one text.
    pub fn clean(&self, text: &str) -> String {
        let mut t = text.to_string();
        if self.urls {
            t = URL.replace_all(&t, " <url> ").into_owned();
        }
        if self.emails {
            t = EMAIL.replace_all(&t, " <email> ").into_owned();
        }
        if self.numbers {
            t = NUMBER.replace_all(&t, " <num> ").into_owned();
        }
        if self.lowercase {
            t = t.to_lowercase();
        }
        if self.whitespace {
            t = SPACE.replace_all(t.trim(), " ").into_owned();
        }
        t
    }

    /// Clean every text of a corpus (same rows, same labels).
    pub fn apply(&self, corpus: &Corpus) -> Result<Corpus> {
        use rayon::prelude::*;
        let cleaned: Vec<String> = corpus.texts().par_iter().map(|t| self.clean(t)).collect();
        let mut frame = corpus.frame.clone();
        frame.with_column(Column::new(TEXT.into(), cleaned))?;
        Ok(Corpus {
            name: corpus.name.clone(),
            frame,
            classes: corpus.classes.clone(),
        })
    }

    /// Before/after pairs for the first `n` texts that the cleaning changes.
    pub fn preview(&self, corpus: &Corpus, n: usize, max_chars: usize) -> CleanPreview {
        let cut = |s: &str| -> String {
            if s.chars().count() > max_chars {
                s.chars().take(max_chars).collect::<String>() + "…"
            } else {
                s.to_string()
            }
        };
        let examples = corpus
            .texts()
            .iter()
            .filter_map(|t| {
                let c = self.clean(t);
                (c != *t).then(|| (cut(t), cut(&c)))
            })
            .take(n)
            .collect();
        CleanPreview {
            cleaner: self.clone(),
            examples,
        }
    }
}

/// Examples of what a [`Cleaner`] does.
#[derive(Debug, Clone, Serialize)]
pub struct CleanPreview {
    pub cleaner: Cleaner,
    /// (before, after)
    pub examples: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_lowercase_and_whitespace() {
        let c = Cleaner::new().numbers(true);
        assert_eq!(
            c.clean("Visit HTTP://Example.com/x?a=1  or mail Bob.Smith@Example.org\n\nfor 1,000 $"),
            "visit <url> or mail <email> for <num> $"
        );
        assert_eq!(c.clean("ПРИВЕТ   Мир"), "привет мир");
        assert_eq!(Cleaner::none().clean(" A  b "), " A  b ");
    }
}
