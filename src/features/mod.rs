//! Text to numbers: tokenizing, n-grams, TF-IDF into a sparse CSR matrix.

pub mod sparse;
pub mod tfidf;
pub mod tokenize;

pub use sparse::Csr;
pub use tfidf::{DocFreq, Tfidf, TfidfVectorizer, Vocabulary};
