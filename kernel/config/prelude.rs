use textlab::prelude::*;
// evcxr shows a cell's final value by first compiling `(value).evcxr_display()` and, when that
// fails to compile, compiling the cell again with a `{:?}` fallback: two compiles (about 1 s each
// against textlab) for every plain value. This trait gives every `Debug` value the same `{:?}`
// output in the first compile; types with their own (inherent) `evcxr_display`, such as every
// textlab result, keep it: inherent methods win over trait methods.
trait EvcxrDebugDisplay {
    fn evcxr_display(&self);
}
impl<T: ::std::fmt::Debug + ?Sized> EvcxrDebugDisplay for T {
    fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/plain\n{:?}\nEVCXR_END_CONTENT", self);
    }
}
