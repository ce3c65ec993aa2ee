//! The scenario catalogue (`catalogue.mjs`) in Firefox ESR: one engine a file, so the three run side by side.
import { catalogue } from "./catalogue.mjs";

catalogue("firefox");
