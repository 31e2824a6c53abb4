//! Unicode-aware tokenizing and n-grams, matching scikit-learn's analyzers.
//!
//! Word tokens follow sklearn's default `token_pattern=r"(?u)\b\w\w+\b"`: maximal runs of word
//! characters (letters and digits of any script, and `_`) at least two long. Cyrillic, Greek,
//! Arabic, CJK runs and accented Latin all work; scripts written without spaces are better served
//! by character n-grams.

/// Python's `\w`: alphanumeric in any script, or underscore.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Word tokens of `text` (borrowed), at least two characters long.
pub fn word_tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut count = 0usize;
    for (i, c) in text.char_indices() {
        if is_word(c) {
            if start.is_none() {
                start = Some(i);
                count = 0;
            }
            count += 1;
        } else if let Some(s) = start.take()
            && count >= 2
        {
            out.push(&text[s..i]);
        }
    }
    if let Some(s) = start
        && count >= 2
    {
        out.push(&text[s..]);
    }
    out
}

/// Word n-grams for n in `lo..=hi`, joined by a space (sklearn's `_word_ngrams`).
pub fn word_ngrams(tokens: &[&str], lo: usize, hi: usize, mut emit: impl FnMut(&str)) {
    let mut buf = String::new();
    for n in lo..=hi {
        if n == 0 || n > tokens.len() {
            continue;
        }
        for w in tokens.windows(n) {
            if n == 1 {
                emit(w[0]);
            } else {
                buf.clear();
                for (k, t) in w.iter().enumerate() {
                    if k > 0 {
                        buf.push(' ');
                    }
                    buf.push_str(t);
                }
                emit(&buf);
            }
        }
    }
}

/// Character n-grams inside word boundaries, padded with a space (sklearn's `char_wb`).
pub fn char_wb_ngrams(text: &str, lo: usize, hi: usize, mut emit: impl FnMut(&str)) {
    let mut padded: Vec<char> = Vec::new();
    let mut buf = String::new();
    for word in text.split_whitespace() {
        padded.clear();
        padded.push(' ');
        padded.extend(word.chars());
        padded.push(' ');
        for n in lo..=hi {
            if n == 0 {
                continue;
            }
            let mut offset = 0;
            loop {
                buf.clear();
                buf.extend(padded[offset..(offset + n).min(padded.len())].iter());
                emit(&buf);
                if offset + n >= padded.len() {
                    break;
                }
                offset += 1;
            }
            // A word shorter than n was emitted whole once; longer n would repeat it.
            if offset == 0 {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_like_sklearn() {
        assert_eq!(
            word_tokens("Hello, wörld! a b2 x_y 42"),
            vec!["Hello", "wörld", "b2", "x_y", "42"]
        );
        assert_eq!(word_tokens("Привет, мир"), vec!["Привет", "мир"]);
        assert_eq!(word_tokens("日本語のテキスト"), vec!["日本語のテキスト"]);
        assert!(word_tokens("a . ! ?").is_empty());
    }

    #[test]
    fn ngrams() {
        let mut v = Vec::new();
        word_ngrams(&["a1", "b2", "c3"], 1, 2, |s| v.push(s.to_string()));
        assert_eq!(v, vec!["a1", "b2", "c3", "a1 b2", "b2 c3"]);
        let mut v = Vec::new();
        char_wb_ngrams("ab  c", 2, 4, |s| v.push(s.to_string()));
        // sklearn char_wb (2, 4) gives exactly this list
        assert_eq!(
            v,
            vec![" a", "ab", "b ", " ab", "ab ", " ab ", " c", "c ", " c "]
        );
    }
}
