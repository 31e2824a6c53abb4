//! Compressed sparse row matrix: the shape TF-IDF produces and the linear solvers consume.

use crate::error::{Error, Result};

/// A CSR matrix of `f64` (rows = documents, columns = features).
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    pub n_rows: usize,
    pub n_cols: usize,
    /// `indptr[i]..indptr[i+1]` are row `i`'s entries in `indices` / `data`.
    pub indptr: Vec<usize>,
    /// Column of each stored value, increasing within a row.
    pub indices: Vec<u32>,
    pub data: Vec<f64>,
}

impl Csr {
    /// Build from per-row `(column, value)` lists; columns must be < `n_cols`.
    pub fn from_rows(n_cols: usize, rows: Vec<Vec<(u32, f64)>>) -> Result<Csr> {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let nnz = rows.iter().map(Vec::len).sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        for mut row in rows.into_iter() {
            row.sort_unstable_by_key(|e| e.0);
            for (j, v) in row {
                if j as usize >= n_cols {
                    return Err(Error::data(format!(
                        "column {j} out of range ({n_cols} columns)"
                    )));
                }
                if !v.is_finite() {
                    return Err(Error::data(format!("non-finite value {v} in column {j}")));
                }
                indices.push(j);
                data.push(v);
            }
            indptr.push(indices.len());
        }
        Ok(Csr {
            n_rows: indptr.len() - 1,
            n_cols,
            indptr,
            indices,
            data,
        })
    }

    /// Dense row-major input (tests, small examples).
    pub fn from_dense(rows: &[Vec<f64>]) -> Result<Csr> {
        let n_cols = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != n_cols) {
            return Err(Error::data("rows of different lengths"));
        }
        let sparse = rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(j, &v)| (j as u32, v))
                    .collect()
            })
            .collect();
        Csr::from_rows(n_cols, sparse)
    }

    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// Row `i` as `(columns, values)`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.data[r])
    }

    /// Rows picked by index (repeats allowed: oversampling), in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> Csr {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for &i in rows {
            let (c, v) = self.row(i);
            indices.extend_from_slice(c);
            data.extend_from_slice(v);
            indptr.push(indices.len());
        }
        Csr {
            n_rows: rows.len(),
            n_cols: self.n_cols,
            indptr,
            indices,
            data,
        }
    }

    /// `X w` (without intercept).
    pub fn dot(&self, w: &[f64]) -> Vec<f64> {
        (0..self.n_rows)
            .map(|i| {
                let (c, v) = self.row(i);
                c.iter().zip(v).map(|(&j, &x)| x * w[j as usize]).sum()
            })
            .collect()
    }

    /// Column-major copy (CSC as a `Csr` of the transpose): coordinate descent walks columns.
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &j in &self.indices {
            counts[j as usize + 1] += 1;
        }
        for j in 0..self.n_cols {
            counts[j + 1] += counts[j];
        }
        let indptr = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0.0; self.nnz()];
        for i in 0..self.n_rows {
            let (c, v) = self.row(i);
            for (&j, &x) in c.iter().zip(v) {
                let p = next[j as usize];
                indices[p] = i as u32;
                data[p] = x;
                next[j as usize] += 1;
            }
        }
        Csr {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr,
            indices,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_dot() {
        let m = Csr::from_dense(&[vec![1.0, 0.0, 2.0], vec![0.0, 3.0, 0.0]]).unwrap();
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.dot(&[1.0, 1.0, 1.0]), vec![3.0, 3.0]);
        let t = m.transpose();
        assert_eq!((t.n_rows, t.n_cols), (3, 2));
        assert_eq!(t.row(2), (&[0u32][..], &[2.0][..]));
        assert_eq!(t.transpose(), m);
        assert_eq!(m.select_rows(&[1, 1]).nnz(), 2);
        assert!(Csr::from_rows(2, vec![vec![(5, 1.0)]]).is_err());
        assert!(Csr::from_rows(2, vec![vec![(0, f64::NAN)]]).is_err());
    }
}
