"""Reading a form, in layers (each its own module):

(a) one reader per layout, each giving question/answer `Cell`s and telling how well it
    fits: `template` (the project's Word template, content controls), `word` (legacy
    Word tables and bold-question paragraphs), `acroform` (fillable PDFs), `wordpdf`
    (Word saved as PDF: ruled table cells or bold-question paragraphs), `scan`
    (image-only PDFs: the ruled grid on the page image, OCR per cell);
(b) `questions`: a printed question → the canonical question it asks
    (`mappings/labels.toml`), and the form's printed guidance dropped from answers;
(c) `answers`: the answer grammar, a free-text answer taken apart into typed pieces;
(d) `record`: the pieces assigned to the canonical fields, with a confidence per field
    and the `meldingen` that name every doubtful one.

`pipeline/stages/extract.py` (the stage) chooses the layout and never lets an exception
escape.
"""
