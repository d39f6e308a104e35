"""`quiz serve`: the app in a browser. Each browser tab gets its own `quiz` process, spoken to through
textual-serve's protocol; progress lives in the shared store, as it does in the terminal. Nothing here imports
Textual or TensorFlow: the server only relays bytes between sockets and processes."""
