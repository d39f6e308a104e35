"""`quiz import-doc`: an interview-prep Markdown document in, a draft bank out (markdown -> document -> to_bank)."""
