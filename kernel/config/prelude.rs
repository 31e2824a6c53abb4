use textlab::prelude::*;
