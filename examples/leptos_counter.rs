//! The size and memory floor the bench measures beside the widget: a Leptos counter (one signal, one
//! button), built with the widget's release profile, wasm-bindgen and `wasm-opt -Oz` by `cargo xtask
//! bench`. Whatever the widget weighs above this is ours; this much is Leptos, wasm-bindgen and Rust.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(|| {
        let (count, set_count) = signal(0u32);
        view! {
            <button on:click=move |_| set_count.update(|n| *n += 1)>{move || count.get()}</button>
        }
    });
}
