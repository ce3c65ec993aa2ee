//! `import "wallet-checkout/register"`: defines `<wallet-checkout>` as a side effect (in a browser only).
import { defineElement } from "./index.js";

defineElement();
