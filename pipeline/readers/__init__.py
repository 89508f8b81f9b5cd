"""Reading a form, in layers (each its own module):

(a) one reader per layout, each giving question/answer `Cell`s and telling how well it
    fits: `template` (the project's Word template, content controls), `word` (legacy
    Word tables and bold-question paragraphs), `acroform` (fillable PDFs), `wordpdf`
    (Word saved as PDF: ruled table cells or bold-question paragraphs), `scan`
    (image-only PDFs: `scan_image` finds the ruled grid on the page image, `tesseract`
    reads the words, `scan_cells` makes them cells);
(b) `questions`: a printed question → the canonical question it asks
    (`mappings/labels.toml`; `concepts` when only its words are known), and the form's
    printed guidance dropped from answers;
(c) `answers`: the answer grammar, a free-text answer taken apart into typed pieces;
(d) `record`: the answers assigned to the canonical fields (`pipeline/fields.py`): each
    question's answer read by its reader (`rows`: `people`, `care`, `period`, giving
    `value.Value`s), then `finish` makes the record, a confidence per field and the
    `meldingen` that name every doubtful one.

`pipeline/stages/extract.py` (the stage) chooses the layout and never lets an exception
escape.
"""
