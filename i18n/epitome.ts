<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="47"/>
        <source>Labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="49"/>
        <source>Label codes 1..L follow this order in the output raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="55"/>
        <source>Name of label {} (unique)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="60"/>
        <source>Colour of label {} in the output style</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="81"/>
        <source>Label {} has no name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="83"/>
        <source>The name &apos;{}&apos; is used twice: label names must be unique.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="99"/>
        <source>Estimate from a labelled area</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="101"/>
        <source>Counts, for every coarse class, the share of each label in an area whose high-resolution labels are known.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="106"/>
        <source>High-resolution label raster (codes 1..L, 0 = nodata)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="110"/>
        <source>Coarse class layer (e.g. NLCD) covering the labelled area</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="116"/>
        <source>Classes with fewer labelled pixels are left out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="117"/>
        <source>Reference labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="118"/>
        <source>Coarse classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="119"/>
        <source>Minimum pixels per class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="124"/>
        <source>Choose both layers (load them into the project first).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_dialogs.py" line="127"/>
        <source>Choose two different layers: the fine labels and the coarse classes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="153"/>
        <source>Presets…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="154"/>
        <source>NLCD → water, forest, field, built (built-in)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="155"/>
        <source>Empty table for the layer&apos;s classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="156"/>
        <source>Replace the table by a preset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="159"/>
        <source>Load CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="159"/>
        <source>Load a composition table from a CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="161"/>
        <source>Save CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="161"/>
        <source>Save the table as a CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="162"/>
        <source>Estimate from a labelled area…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="162"/>
        <source>Count p(label | class) where high-resolution labels are known (runs in the background)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="175"/>
        <source>Hide the rows of codes the class layer does not contain. Hidden rows stay in the table and in the saved CSV.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="193"/>
        <source>p(label | class): the share of each label inside each coarse class. Rows are renormalised when used; empty cells count as 0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="204"/>
        <source>Add label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="204"/>
        <source>Add a label (column)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="205"/>
        <source>Remove label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="205"/>
        <source>Remove the selected label (column)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="207"/>
        <source>Labels…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="207"/>
        <source>Rename the labels and choose their colours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="772"/>
        <source>Add class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="209"/>
        <source>Add a row for a coarse class code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="211"/>
        <source>Remove class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="211"/>
        <source>Remove the selected class rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="213"/>
        <source>Normalise rows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="213"/>
        <source>Divide every row by its sum so it sums to 1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="226"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="226"/>
        <source>Stop the estimate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="285"/>
        <source>p({} | class {})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="291"/>
        <source>Sum of the row (rows are renormalised to 1 when used)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="316"/>
        <source>Show only the {} code(s) of the class layer ({})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="318"/>
        <source>; {} other row(s) hidden</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="348"/>
        <source>Label {}: {} - double-click to rename it or change its colour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="350"/>
        <source>sum</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="374"/>
        <source> ({} more problems)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="374"/>
        <source> (1 more problem)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="477"/>
        <source>Saved {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="551"/>
        <source>Class {} is already in the table.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="573"/>
        <source>No class codes known: choose a class layer first, or add class rows.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="616"/>
        <source>An estimate is already running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="634"/>
        <source>Estimating p(label | class)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="655"/>
        <source>Estimate cancelled; the table is unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="657"/>
        <source>The estimate failed: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="657"/>
        <source>unknown error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="717"/>
        <source>Load composition table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_wrapper.py" line="51"/>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="731"/>
        <source>Save composition table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="822"/>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="762"/>
        <source>The table has no label: add one first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="772"/>
        <source>Coarse class code:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="794"/>
        <source>Composition table p(label | class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="819"/>
        <source>Save to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="824"/>
        <source>CSV file the table is saved to when you press OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="825"/>
        <source>Choose a file for the table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="855"/>
        <source>Choose where to save the table (Save to).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="860"/>
        <source>The built-in table cannot be overwritten: choose another file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_wrapper.py" line="52"/>
        <source>Built-in NLCD → water, forest, field, built table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_wrapper.py" line="56"/>
        <source>Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_wrapper.py" line="57"/>
        <source>Edit the table p(label | class) (or start from the built-in one, or estimate it from a labelled area) and save it as CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="451"/>
        <source>Could not read the class codes of {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="41"/>
        <source>Checking which devices PyTorch sees…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="43"/>
        <source>too old</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="43"/>
        <source>not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="44"/>
        <source>PyTorch is not usable here ({}): install it with Raster &gt; Epitome &gt; Install or update PyTorch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="48"/>
        <source>This machine: {}; auto runs on cuda:0.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="52"/>
        <source>CPU build of PyTorch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="52"/>
        <source>no NVIDIA GPU or driver found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="53"/>
        <source>This machine: CPU only ({}); auto and cuda run on the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="65"/>
        <source>Always the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="72"/>
        <source>The current CUDA GPU ({}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="75"/>
        <source>cuda (not available here)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="75"/>
        <source>No CUDA GPU is usable on this machine: a run asking for cuda falls back to the CPU with a warning.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="75"/>
        <source>An NVIDIA GPU through CUDA.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="64"/>
        <source>Fast</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="69"/>
        <source>Balanced (recommended)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="72"/>
        <source>Thorough</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="115"/>
        <source>No layer chosen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="117"/>
        <source>The layer is not valid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="119"/>
        <source>no CRS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="330"/>
        <source>Imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="331"/>
        <source>Class layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="159"/>
        <source>{}: choose a raster layer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="161"/>
        <source>{}: the layer is not valid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="163"/>
        <source>{}: &apos;{}&apos; is not a file raster; save it as a GeoTIFF first (Raster &gt; Conversion &gt; Translate).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="168"/>
        <source>Imagery and class layer are the same layer: choose the coarse classes (e.g. NLCD) as the class layer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="173"/>
        <source>The reference must be another layer: high-resolution labels to compare the result with (or leave it empty).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="178"/>
        <source>Reference: &apos;{}&apos; is not a file raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="187"/>
        <source>The class layer has {} bands; band 1 is used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="194"/>
        <source>The imagery is not finer than the class layer ({:.3g} against {:.3g} map units): label super-resolution expects fine imagery and coarse classes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="294"/>
        <source>Imagery and coarse classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="294"/>
        <source>Pick fine imagery (e.g. NAIP, 1 m) and the coarse class layer (e.g. NLCD, 30 m) from the project. The class layer may have any CRS and grid: it is aligned on the fly.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="300"/>
        <source>High-resolution imagery: all its bands are used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="303"/>
        <source>Coarse classes (integer codes, band 1), e.g. NLCD.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="308"/>
        <source>Optional: high-resolution reference labels (codes 1..L as in the composition) to evaluate the result (overall accuracy, IoU) against two label-only baselines.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="332"/>
        <source>Reference (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="403"/>
        <source>None: the result is not evaluated.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="409"/>
        <source>The layers fit together.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="426"/>
        <source>Composition of the coarse classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="426"/>
        <source>p(label | class): what share of each coarse class is each high-resolution label. Start from the built-in NLCD table, a CSV (Load CSV…), or estimate it from a labelled area.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="504"/>
        <source>Quality, device and outputs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="504"/>
        <source>How thorough the run is, where it computes, and where the label map is written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="521"/>
        <source>auto: the GPU when PyTorch sees one, else the CPU. cuda:N picks a GPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="526"/>
        <source>GeoTIFF (*.tif)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="528"/>
        <source>Where to write the label map (GeoTIFF). Beside it go the confidence layer, the table used (_composition.csv) and, with a reference, the evaluation report.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="530"/>
        <source>Choose a file for the label map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="536"/>
        <source>Also add a confidence layer (max p per pixel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="542"/>
        <source>Quality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="543"/>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="544"/>
        <source>Label map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="584"/>
        <source>Empty: a new file beside the imagery (or in the last folder used).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="586"/>
        <source>{} exists and will be replaced.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="588"/>
        <source>A new file in {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="612"/>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="613"/>
        <source>Start label super-resolution in the background (QGIS stays usable).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="614"/>
        <source>Stop run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="615"/>
        <source>Stop the run; nothing half-written is left behind.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="917"/>
        <source>Zoom to result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="618"/>
        <source>Show the whole label map in the map canvas.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="644"/>
        <source>Epitome: label super-resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="675"/>
        <source>Choose a file for the label map (no writable folder was found for a default).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="678"/>
        <source>Cannot write into the output folder {}. Choose another place for the label map.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="696"/>
        <source>&lt;b&gt;{}&lt;/b&gt; + &lt;b&gt;{}&lt;/b&gt; with {} labels ({}), quality {}, device {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="704"/>
        <source>Then evaluated against &lt;b&gt;{}&lt;/b&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="711"/>
        <source>Label map: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="750"/>
        <source>Writing the label map to {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="759"/>
        <source>Cancelling…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="767"/>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="783"/>
        <source>WARNING: the composition table could not be saved next to the result: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="788"/>
        <source>Evaluating against {}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/styling.py" line="187"/>
        <source>{} – Epitome LSR</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/styling.py" line="188"/>
        <source>{} labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/styling.py" line="193"/>
        <source>{} confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="857"/>
        <source>Label map written to &lt;a href='file://{0}'&gt;{0}&lt;/a&gt; and added to the map (group “{1}”).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="860"/>
        <source>The table used: &lt;a href=&apos;file://{0}&apos;&gt;{1}&lt;/a&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="868"/>
        <source>Evaluation done.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="871"/>
        <source>Evaluation failed: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="871"/>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="880"/>
        <source>&lt;b&gt;Evaluation&lt;/b&gt;: overall accuracy {:.1%}, mean IoU {:.3f} over {:,} pixels. Report: &lt;a href=&apos;file://{}&apos;&gt;HTML&lt;/a&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="883"/>
        <source>Epitome (this result)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="884"/>
        <source>Naive: each pixel's class → its most likely label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="887"/>
        <source>Smooth: the classes&apos; compositions interpolated, then the most likely label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="895"/>
        <source>{:+.1f} points of accuracy over the better baseline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="895"/>
        <source>{:+.1f} points against the better baseline: the imagery did not help here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="897"/>
        <source>&lt;b&gt;Evaluation&lt;/b&gt; over {:,} pixels (&lt;a href=&apos;file://{}&apos;&gt;report&lt;/a&gt;):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="899"/>
        <source>accuracy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="899"/>
        <source>mean IoU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="915"/>
        <source>Label map added: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="48"/>
        <source>Epitome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="949"/>
        <source>Help: label super-resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="48"/>
        <source>Computation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="52"/>
        <source>Device used when an Epitome algorithm&apos;s DEVICE parameter is &apos;auto&apos;: auto (a CUDA GPU when available, else the CPU), cpu, cuda, or cuda:N for GPU number N. A GPU that is missing falls back to the CPU with a warning.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="65"/>
        <source>Default device:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="70"/>
        <source> MiB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="71"/>
        <source>Automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="79"/>
        <source>Memory budget:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="84"/>
        <source>PyTorch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="89"/>
        <source>Folder Epitome loads PyTorch from first (appended to QGIS&apos;s Python path, so QGIS&apos;s own numpy and GDAL always win). Default: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="92"/>
        <source>PyTorch folder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="95"/>
        <source>Test GPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="96"/>
        <source>Check PyTorch and run a tiny computation on the GPU, in a separate process (QGIS cannot crash).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="99"/>
        <source>Install / update PyTorch…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="100"/>
        <source>Open the installer: PyTorch CPU or CUDA build, downloaded with pip into the PyTorch folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="107"/>
        <source>Checking PyTorch…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="110"/>
        <source>The PyTorch Epitome loads, and the result of the last GPU test.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="111"/>
        <source>Status:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="42"/>
        <source>Problems with the values entered above.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="147"/>
        <source>Testing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="180"/>
        <source>Default device &apos;{}&apos; is not valid: use auto, cpu, cuda or cuda:N (N = GPU index). Kept &apos;{}&apos;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="73"/>
        <source>The curves appear when a training starts.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="87"/>
        <source>Epitome training monitor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="114"/>
        <source>Trainings started in this QGIS session; the newest is followed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="117"/>
        <source>Stop training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="118"/>
        <source>Stop the training shown after its current step. The model trained so far is saved to its MODEL file and the run ends normally; give the model as INIT to continue later.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="64"/>
        <source>Train epitomes…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="138"/>
        <source>Open Train epitomes (Processing toolbox: Epitome &gt; Epitomes &gt; Train epitomes).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="126"/>
        <source>No training running. Start one with Train epitomes…; it shows here live.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="127"/>
        <source>Trainings started anywhere show here: this button, the Processing toolbox (Epitome &gt; Epitomes &gt; Train epitomes), a model or a script.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="153"/>
        <source>Epitome preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="157"/>
        <source>Means of the first epitome (bands 1-3 as RGB, 2-98% stretch), refreshed every few steps. It should come to look like pieces of the imagery.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="175"/>
        <source>Training {} ({} x {} px, {} steps) started…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="191"/>
        <source>, stage {} of {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="211"/>
        <source>Finished.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="211"/>
        <source>Stopped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="248"/>
        <source>Stopping after the current step… the model trained so far will be saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="226"/>
        <source>Unreadable answer from the PyTorch check: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="228"/>
        <source>The PyTorch check stopped (exit code {}): {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="404"/>
        <source>no output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="307"/>
        <source>The PyTorch check did not finish within {} s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="244"/>
        <source>The PyTorch check could not run {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="300"/>
        <source>The PyTorch check could not start {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="325"/>
        <source>PyTorch not found ({}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="325"/>
        <source>no torch package</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="280"/>
        <source>CPU build (no CUDA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="423"/>
        <source>CUDA {}, GPU: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="333"/>
        <source>CUDA {} build, but no usable NVIDIA GPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="334"/>
        <source>PyTorch {} - {} - in {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="276"/>
        <source>(too old: Epitome needs {} or newer)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="338"/>
        <source>(error: {})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="345"/>
        <source>No GPU: PyTorch is not found or cannot be imported ({}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="349"/>
        <source>No CUDA: PyTorch {} is the CPU build. Install a CUDA build with 'Install / update PyTorch…' to use an NVIDIA GPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="352"/>
        <source>no NVIDIA driver or no NVIDIA GPU found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="353"/>
        <source>No CUDA: PyTorch {} (CUDA {}) cannot use a GPU: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="356"/>
        <source>GPU {} found, but a test computation failed: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="359"/>
        <source>GPU ready: {} (PyTorch {}, CUDA {}){}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="520"/>
        <source>QGIS&apos;s Python has no pip. On Debian/Ubuntu install the package python3-pip; on Windows use the OSGeo4W installer (python3-pip).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="523"/>
        <source>No PyTorch build matches this Python version, platform and build choice. Try another build (CPU works everywhere), or a newer PyTorch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="526"/>
        <source>The folder is not writable, or PyTorch files are in use (QGIS has loaded them). Choose another folder, or restart QGIS and install before running Epitome.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="529"/>
        <source>The disk is full: the CPU build needs about 1 GB, a CUDA build about 5 GB.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="531"/>
        <source>The download failed: check the internet connection or the proxy (pip honours HTTPS_PROXY), then try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="533"/>
        <source>Check the output above, the internet connection and the free disk space (about 1 GB for the CPU build, 5 GB for CUDA), then try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="555"/>
        <source>Epitome needs PyTorch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="556"/>
        <source>PyTorch was not found, so the Epitome algorithms cannot run yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="564"/>
        <source>Install…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="565"/>
        <source>Open the Epitome installer: downloads PyTorch into a folder of your QGIS profile (QGIS&apos;s own numpy and GDAL stay untouched).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="580"/>
        <source>Could not open the PyTorch installer: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="586"/>
        <source>PyTorch start-up check failed: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="43"/>
        <source>NVIDIA GPU, CUDA {} (about 3 GB download)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="53"/>
        <source>580 or newer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="53"/>
        <source>525 or newer (528 on Windows)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="54"/>
        <source>CUDA builds need an NVIDIA GPU and an NVIDIA driver {} (no CUDA toolkit needed: the wheels bring the CUDA libraries). Download about 3 GB, about 5 GB once installed. Without such a GPU, Epitome falls back to the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="80"/>
        <source>Epitome - install PyTorch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="116"/>
        <source>Current PyTorch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="118"/>
        <source>Not checked yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="120"/>
        <source>The PyTorch Epitome would load, checked in a separate process.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="123"/>
        <source>Whether this PyTorch can use an NVIDIA GPU, and which.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="127"/>
        <source>The folder PyTorch was loaded from.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="128"/>
        <source>Check again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="129"/>
        <source>Check the installed PyTorch again (in a separate process).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="131"/>
        <source>PyTorch:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="132"/>
        <source>CUDA / GPU:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="171"/>
        <source>Folder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="142"/>
        <source>Install or update</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="147"/>
        <source>Which PyTorch build to install: CPU only, or a CUDA build for NVIDIA GPUs (needs an NVIDIA driver).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="166"/>
        <source>Folder PyTorch is installed into; Epitome adds it to QGIS&apos;s Python path (after QGIS&apos;s own packages). Default: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="169"/>
        <source>Build:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="186"/>
        <source>Install</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="190"/>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="191"/>
        <source>Stop the running installation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="203"/>
        <source>Output of pip, live.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="204"/>
        <source>pip&apos;s output appears here while PyTorch is installed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="211"/>
        <source>The result of the last installation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="216"/>
        <source>Close this window (stops a running installation).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="262"/>
        <source>Checking…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="272"/>
        <source>Not found ({})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="282"/>
        <source>CUDA {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="284"/>
        <source>CUDA {} build, but no usable NVIDIA GPU ({})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="284"/>
        <source>no NVIDIA driver or GPU found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="295"/>
        <source>Another PyTorch installation is running in another window; wait for it or stop it first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="306"/>
        <source>Cannot start the installation: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="323"/>
        <source>Installing… (this can take several minutes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="331"/>
        <source>Stopping…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="380"/>
        <source>Could not start {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="395"/>
        <source>Removed from the folder (QGIS&apos;s own numpy is used): {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="398"/>
        <source>Installation stopped. The folder may hold a partial installation: run Install again before using Epitome.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="402"/>
        <source>crashed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="404"/>
        <source>Installation failed (exit code {}): {}
{}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="412"/>
        <source>pip finished; checking the installed PyTorch…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="420"/>
        <source>pip finished, but PyTorch cannot be imported from {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="423"/>
        <source>CPU build</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="423"/>
        <source>CUDA {} build, but no usable GPU (NVIDIA driver?)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="426"/>
        <source>PyTorch {} installed in {} ({}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="432"/>
        <source>Restart QGIS to use it: QGIS has already loaded PyTorch {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="434"/>
        <source>No restart needed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="436"/>
        <source>Epitome can use it now; no restart needed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="51"/>
        <source>Label super-resolution wizard…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="52"/>
        <source>Imagery + coarse classes -&gt; a high-resolution label map, step by step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="101"/>
        <source>Training monitor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="102"/>
        <source>Show the live curves and epitome of running trainings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="61"/>
        <source>Self-epitomic label super-resolution (algorithm)…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="62"/>
        <source>Estimate composition from a labelled area…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="63"/>
        <source>Evaluate a label map…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="72"/>
        <source>Install or update PyTorch…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="177"/>
        <source>About Epitome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/plugin.py" line="177"/>
        <source>&lt;h3&gt;Epitome {}&lt;/h3&gt;&lt;p&gt;Label super-resolution with epitomic representations: high-resolution land cover from imagery and coarse classes (Malkin, Ortiz, Jojic, ECCV 2020).&lt;/p&gt;&lt;p&gt;Algorithms are in the Processing toolbox under &lt;b&gt;Epitome&lt;/b&gt;.&lt;/p&gt;&lt;p&gt;{}&lt;/p&gt;&lt;p&gt;License: GPL-2.0-or-later.&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/styling.py" line="190"/>
        <source>{} probabilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="460"/>
        <source>{} The file&apos;s cells are shown below as they are: fix the ones in red.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="813"/>
        <source>{} A new table is shown instead; your file is left as it is. Fix the file and load it again (Load CSV…), or build the table here and save it under a new name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_wrapper.py" line="177"/>
        <source>No rows were added for the Coarse classes layer: {} has {} bands - is it the imagery? Choose the class layer (e.g. NLCD) in the dialog first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="538"/>
        <source>Only the area shown in the map canvas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="539"/>
        <source>Process only where the imagery meets the map canvas&apos;s current extent (zoom there first), without clipping files by hand.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/styling.py" line="240"/>
        <source>{} epitome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/predict.py" line="208"/>
        <source>{} – {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/predict.py" line="217"/>
        <source>{} novelty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="706"/>
        <source>Only the area shown in the map canvas.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="689"/>
        <source>Estimated from {} pixels: rows of classes {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="691"/>
        <source>The other {} rows are unchanged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="694"/>
        <source>The reference names other labels than the table&apos;s: its labels ({}) are used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="697"/>
        <source>The reference has no label names: its codes are the table&apos;s label numbers ({}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="700"/>
        <source>Reference codes by name: {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_editor.py" line="702"/>
        <source>New labels: {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/composition_wrapper.py" line="130"/>
        <source>Proposed: {} as imagery and {} as coarse classes (not the active layer twice).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="50"/>
        <source>This machine: the Apple GPU (mps); auto runs on it, in full 32-bit precision, and on the CPU for any step it cannot do.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="63"/>
        <source>The first CUDA GPU when PyTorch sees one, else the Apple GPU (mps), else the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="67"/>
        <source>mps (Apple GPU)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="67"/>
        <source>The GPU of this Apple-silicon Mac, through PyTorch&apos;s MPS; steps it cannot do run on the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/device_choice.py" line="175"/>
        <source>{} {} was chosen: this run will use the CPU.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/example_models.py" line="40"/>
        <source>Open a copy in the Model Designer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="121"/>
        <source>pixel {:.4g} x {:.4g} {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="124"/>
        <source>pixel {:.3g} x {:.3g} degrees (about {:.3g} x {:.3g} m)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="126"/>
        <source>{} x {} px, {} band(s), {}, {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="135"/>
        <source>Only one of the imagery &apos;{}&apos; and the {} &apos;{}&apos; has a CRS. Set the missing CRS (layer Properties &gt; Source) so they can be aligned.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="143"/>
        <source>The {} &apos;{}&apos; does not overlap the imagery &apos;{}&apos;. Choose layers of the same area.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="147"/>
        <source>Without a CRS the imagery &apos;{}&apos; and the {} &apos;{}&apos; must have the same size in pixels ({} x {} against {} x {}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="176"/>
        <source>Reference: the layer &apos;{}&apos; is not valid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="180"/>
        <source>reference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="182"/>
        <source>Or leave the reference empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="184"/>
        <source>The reference &apos;{}&apos; has {} bands; band 1 is used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="188"/>
        <source>class layer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="513"/>
        <source>Speed against thoroughness: what each changes and costs is written under the list.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="594"/>
        <source>Runs in the background: QGIS stays usable, and you may close this window - you are asked whether the run goes on (its result is added to the map when it is done) or stops.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="772"/>
        <source>Label super-resolution failed: {} (open the wizard again for its log)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="961"/>
        <source>Label super-resolution is running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="961"/>
        <source>The run is at {}%. Closing this window does not have to stop it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="964"/>
        <source>Keep running: it goes on as a QGIS task (see the task bar at the bottom of the QGIS window); the label map is added to the map and announced in the message bar when it is done.
Stop the run: nothing is written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="967"/>
        <source>Keep running in the background</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="968"/>
        <source>Stop the run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="969"/>
        <source>Back to the wizard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="995"/>
        <source>The window was closed: the run goes on in the background.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="999"/>
        <source>Label super-resolution goes on in the background; its result will be added to the map.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1074"/>
        <source>&lt;h3&gt;What this does&lt;/h3&gt;&lt;p&gt;It turns a coarse land-cover map - for example NLCD at 30 m - into a detailed map on the grid of your imagery - for example 1 m aerial photographs. No training data is needed: it finds out from the imagery itself which places look alike.&lt;/p&gt;&lt;h3&gt;What you need&lt;/h3&gt;&lt;ul&gt;&lt;li&gt;&lt;b&gt;Imagery&lt;/b&gt;: the detailed image of the area (any number of bands).&lt;/li&gt;&lt;li&gt;&lt;b&gt;Class layer&lt;/b&gt;: the coarse map of the same area, in any projection and resolution.&lt;/li&gt;&lt;li&gt;&lt;b&gt;Composition table&lt;/b&gt; (page 2): for every coarse class, the share of each detailed label it usually holds - e.g. NLCD&apos;s deciduous forest is mostly forest with some field. Start from the built-in NLCD table, load your own, or count it from an area whose detailed labels you have (Estimate from a labelled area).&lt;/li&gt;&lt;li&gt;Optionally a &lt;b&gt;reference&lt;/b&gt;: detailed labels of the same area, to measure how good the result is.&lt;/li&gt;&lt;/ul&gt;&lt;h3&gt;How it works, in short&lt;/h3&gt;&lt;p&gt;The imagery is cut into tiles of about 512 m. Within a tile, pixels whose surroundings look alike get the same label, while each coarse class keeps the label shares of the table. Where the imagery says little, the result follows the coarse map itself.&lt;/p&gt;&lt;h3&gt;Quality&lt;/h3&gt;&lt;ul&gt;{}&lt;/ul&gt;&lt;h3&gt;Is the result good?&lt;/h3&gt;&lt;p&gt;Give a reference layer: the last page then shows the &lt;b&gt;accuracy&lt;/b&gt; (the share of pixels with the right label) and the &lt;b&gt;mean IoU&lt;/b&gt; (for each label, the area both maps give it divided by the area either gives it, averaged over the labels: from 0 to 1, higher is better) of the result, beside two maps made from the coarse layer alone: &lt;i&gt;naive&lt;/i&gt; (each pixel gets the most common label of its class) and &lt;i&gt;smooth&lt;/i&gt; (the classes&apos; label shares blended between neighbouring cells). Where the result does not beat them, the imagery did not help.&lt;/p&gt;&lt;h3&gt;What is written&lt;/h3&gt;&lt;p&gt;The label map (a GeoTIFF with the label names and colours), optionally a confidence layer (how sure each pixel is, from 1 / number of labels to 1), the table used (&lt;i&gt;_composition.csv&lt;/i&gt;) and, with a reference, an HTML report. The run goes on if you close the window, when you choose so.&lt;/p&gt;&lt;p&gt;The method in detail, for specialists: Processing Toolbox &gt; Epitome &gt; Label super-resolution &gt; Self-epitomic label super-resolution (its Help).&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="39"/>
        <source>{} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="41"/>
        <source>{} min {:02d} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="42"/>
        <source>{} h {:02d} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="47"/>
        <source>{} so far</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="49"/>
        <source>, about {} left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="135"/>
        <source>%p% of the steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="196"/>
        <source>{:.1f}% of the epitome in use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="198"/>
        <source> (at most {:.1f}% with {} patches per step)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="199"/>
        <source>Step {} of {}{} - {}. Loss {:.3f} (lower is better), {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="210"/>
        <source> ({} in all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="57"/>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="327"/>
        <source>Apple GPU (MPS) and CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="347"/>
        <source>Apple GPU ready: PyTorch {} uses it through MPS (DEVICE mps, or auto).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="468"/>
        <source>Install it from QGIS: menu Raster &gt; Epitome &gt; Install or update PyTorch… (also offered in the message bar when QGIS starts), then restart QGIS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="234"/>
        <source>No PyTorch build exists for this QGIS: {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="474"/>
        <source>in the OSGeo4W Shell (Start menu &gt; QGIS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="475"/>
        <source>in the Terminal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="475"/>
        <source>in a terminal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/dependencies.py" line="476"/>
        <source>Or, with QGIS closed, run {}: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="40"/>
        <source>CPU and Apple GPU (the macOS build)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="42"/>
        <source>CPU only (works everywhere; the smallest download)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="48"/>
        <source>The macOS build of PyTorch runs on the CPU, and on the Apple GPU (DEVICE mps) of Apple-silicon Macs. There are no CUDA builds for macOS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="51"/>
        <source>The CPU build runs on any computer and is the smallest download.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="154"/>
        <source>The PyTorch release chosen for this QGIS&apos;s Python and operating system, and its size.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="160"/>
        <source>The same installation from a terminal (QGIS closed), if the button cannot do it here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="172"/>
        <source>Installs:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="173"/>
        <source>Or by hand:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="187"/>
        <source>Download and install PyTorch with pip into the folder (QGIS&apos;s numpy and GDAL are pinned and left untouched).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="237"/>
        <source>{}: {}. pip downloads it from {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="52"/>
        <source>&lt;p&gt;&lt;b&gt;To change it&lt;/b&gt;: right-click this model in the Processing Toolbox &gt; Open a copy in the Model Designer, then save the copy under your own name (it is listed under Models). The file shipped with the plugin: {}&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="43"/>
        <source>Loss: how badly the epitome explains the imagery&apos;s pixel values - lower is better. It is the average negative log-likelihood per pixel value (in nats); values below zero are normal, since a likelihood density can exceed 1. Hardest quarter: the same for the quarter of each batch explained worst. Epitome in use: the share of the epitome&apos;s positions that best matched at least one patch of the step - at most the patches per step divided by the positions; if it stays far below that, parts of the epitome are not learning.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="54"/>
        <source>all patches</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="54"/>
        <source>hardest quarter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="54"/>
        <source>Loss - lower is better</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="57"/>
        <source>in use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="57"/>
        <source>Epitome in use (% of its positions)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="57"/>
        <source>% in use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="96"/>
        <source>training step ({}..{})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="72"/>
        <source>Thorough: every window of a tile compared, not every 3rd. About 1.6 times the computing time of Balanced, for at most a few hundredths of a point in the benchmarks: to check a result on a small area, not for a better map.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/training_monitor.py" line="163"/>
        <source>Loss: lower is better; below zero is normal (hover for more).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/report_plot.py" line="54"/>
        <source>loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/settings_page.py" line="73"/>
        <source>Working memory of label super-resolution (GPU memory with CUDA, RAM on the CPU): a tile whose arrays would need more is refused before the run, with the memory it needs and a tile size that fits; about a sixteenth of it is one block of fp32 logits. Smaller is slower but uses less memory. 0 = automatic (half of this machine&apos;s memory; 64 MiB blocks, 4x smaller after a GPU out-of-memory error).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/styling.py" line="196"/>
        <source>{} influence of appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="64"/>
        <source>Fast: fewer query patches (3% of the working pixels), every 4th window compared, 10 refinement steps instead of 30. About 40% less computing time than Balanced; in the benchmarks it was as accurate (0.1 to 1.2 points better). For large areas and first looks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="69"/>
        <source>Balanced: the algorithm&apos;s defaults - tiles of about 512 m of ground, 5% of the working pixels as query patches, every 3rd window compared, 30 refinement steps. The yardstick of the other two.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="316"/>
        <source>Optional: labelled samples of the area - about 100 points (or polygons, or a label raster) whose label field holds the composition&apos;s label codes or names. They choose how much to believe the imagery and estimate the accuracy of the result with a 95% interval, beside both label-only baselines.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="321"/>
        <source>The field of the samples that holds each label (a code 1..L or a label name).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="337"/>
        <source>label field</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="339"/>
        <source>Reference samples (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="702"/>
        <source>Calibrated on the samples &lt;b&gt;{}&lt;/b&gt;.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="708"/>
        <source>With confidence and appearance-influence layers.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1011"/>
        <source>appearance alone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1011"/>
        <source>appearance weight {:g}, {} prior</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1013"/>
        <source>&lt;b&gt;What the imagery changed&lt;/b&gt;: {:.1%} of the labelled pixels differ from the label-only map ({}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1023"/>
        <source>class {} ({:.0%} of its pixels changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1025"/>
        <source>The table looks locally wrong for {}: look there first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1027"/>
        <source>&lt;b&gt;Estimated accuracy&lt;/b&gt; on the reference samples: {:.1%} (95% interval {:.1%} to {:.1%}); naive baseline {:.1%}, smooth baseline {:.1%} on the same samples.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="174"/>
        <source>Also install Dask (about 15 MB): the SCHEDULER parameter, whole rasters on several processes or machines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="178"/>
        <source>dask and distributed go into the same folder, after PyTorch (docs/SCALING.md).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="447"/>
        <source>PyTorch is installed; installing Dask…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="460"/>
        <source>Dask installed: SCHEDULER can run whole rasters on a cluster (restart QGIS to use it).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="463"/>
        <source>Dask was not installed ({}): SCHEDULER stays empty (in-process).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/install/installer_dialog.py" line="463"/>
        <source>stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1042"/>
        <source>&lt;b&gt;Coarse map offset&lt;/b&gt;: {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1044"/>
        <source>moved back into place</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1044"/>
        <source>left where it lies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/gui/lsr_wizard.py" line="1045"/>
        <source>&lt;b&gt;Coarse map offset&lt;/b&gt;: {:+.1f} m east, {:+.1f} m north (± {:.1f} m); the coarse map was {}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AlgorithmRun</name>
    <message>
        <location filename="../plugin/gui/runner.py" line="69"/>
        <source>Processing algorithm {} is not registered (is the Epitome plugin enabled?)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AlignCoarseAlgorithm</name>
    <message>
        <location filename="../plugin/processing/aligncoarse.py" line="56"/>
        <source>Align a coarse map to the imagery (registration)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/aligncoarse.py" line="59"/>
        <source>Coarse maps rarely sit exactly on the imagery: NLCD comes from Landsat (geolocation errors of 10-15 m are ordinary), old and hand-digitised maps are off by tens of metres. This algorithm estimates the offset of the coarse map from the data alone - no truth, no user input: the shift, within 2 coarse cells (MAX_SHIFT), that makes its classes most consistent with the imagery (the classes say most about the imagery&apos;s appearance clusters) - and writes the map moved back into place.
A correction is made only when the data support it: the shift beats no shift in 90% of block-bootstrap replicates, it is at least a quarter of a coarse cell, and it is not at the edge of the search. A map already in place stays in place. A constant map, imagery without texture, too little overlap or a layer without CRS: a message says why, and the map is written as given.
Outputs: the moved map (OUTPUT), the offset in metres east and north (SHIFT_EAST, SHIFT_NORTH), its uncertainty (SHIFT_UNCERTAINTY: bootstrap standard deviation), SHIFT_APPLIED (1 or 0) and a sentence (ALIGN_REPORT). </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/aligncoarse.py" line="93"/>
        <source>Cancelled by the user: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/aligncoarse.py" line="96"/>
        <source>{} aligned</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BaselinesAlgorithm</name>
    <message>
        <location filename="../plugin/processing/baselines.py" line="57"/>
        <source>Label-only baselines (naive and smooth)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/baselines.py" line="76"/>
        <source>Give NAIVE or SMOOTH (or both): the baseline maps to write.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/baselines.py" line="105"/>
        <source>Cancelled by the user: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/baselines.py" line="92"/>
        <source>Naive baseline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/baselines.py" line="92"/>
        <source>Smooth baseline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/baselines.py" line="60"/>
        <source>The two maps every label super-resolution result should be compared with, made from the coarse classes and the composition table alone (no imagery content): naive, the most likely label of each pixel&apos;s coarse class, and smooth, the blocks&apos; label distributions interpolated bilinearly between block centres, then the most likely label. Self-epitomic LSR reports how many pixels it changed against the smooth map; Evaluate a label map scores both next to a prediction when given the coarse classes (CLASSES). No PyTorch needed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EmbedLabelsAlgorithm</name>
    <message>
        <location filename="../plugin/processing/embedlabels.py" line="95"/>
        <source>Embed high-resolution labels into an epitome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/embedlabels.py" line="140"/>
        <source>Label embedding</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/embedlabels.py" line="98"/>
        <source>Puts high-resolution labels into a trained epitome (Malkin, Ortiz, Jojic, ECCV 2020, Eq. 6): each PATCH_SIZE patch of the imagery (around a CENTRE x CENTRE block) gets a posterior over every window of the epitome, and the labels of its centre block are added to the epitome pixels each window maps them to, weighted by that posterior. Normalised, this gives p(label | epitome pixel).
Inputs: the MODEL of epitome:trainepitome, imagery with its bands and one label raster per imagery raster (codes 1..L, any CRS or grid: nearest neighbour). Label names and colours come from LABEL_NAMES, LABEL_TABLE or the label raster&apos;s categories.
Outputs: OUTPUT_MODEL, the model with its label embedding, names and colours - give it to epitome:predict to label any imagery - and an optional picture of the embedding.
Needs PyTorch in QGIS&apos;s Python.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EpitomeAlgorithm</name>
    <message>
        <location filename="../plugin/processing/base.py" line="263"/>
        <source>Label super-resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/base.py" line="264"/>
        <source>Epitomes</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EpitomicLsrAlgorithm</name>
    <message>
        <location filename="../plugin/processing/epitomiclsr.py" line="93"/>
        <source>Epitomic label super-resolution (trained epitome)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/epitomiclsr.py" line="132"/>
        <source>Label embedding (LSR)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/epitomiclsr.py" line="135"/>
        <source>Epitomic LSR</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/epitomiclsr.py" line="96"/>
        <source>All-tile epitomic label super-resolution (Malkin, Ortiz, Jojic, ECCV 2020, section 4): the coarse classes of the imagery are embedded into a trained epitome - p(epitome pixel | class), from the posteriors of the patches of each class (Eqs. 10-11) - and an EM weighted by the observed share of each class finds p(label | epitome pixel) whose class statistics match the composition table (Eqs. 7-9). No high-resolution labels are needed.
Inputs: the MODEL of epitome:trainepitome, imagery and one coarse class raster per imagery raster (any CRS), the composition table (same rules as epitome:selfepitomiclsr).
Outputs: OUTPUT_MODEL with the label embedding (give it to epitome:predict for any imagery), a picture of the embedding and, optionally, the label map of the first imagery raster.
Needs PyTorch in QGIS&apos;s Python.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EstimateCompositionAlgorithm</name>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="57"/>
        <source>Estimate composition from a labelled area</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="82"/>
        <source>{}: band {} does not exist; &apos;{}&apos; has {} band(s). Choose a band from 1 to {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="99"/>
        <source>OUTPUT: no file given. Choose where to save the CSV.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="126"/>
        <source>Cancelled by the user: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="132"/>
        <source>{} pixels counted: {} classes x {} labels (label codes {}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="136"/>
        <source>  class {}: {} px - {}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="188"/>
        <source>Reference labels (fine)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="189"/>
        <source>High-resolution label raster of the labelled area (integer codes 1..L, 0 = nodata), e.g. a 1 m land-cover map. Its grid is the one counted on.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="190"/>
        <source>Reference band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="192"/>
        <source>Coarse classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="193"/>
        <source>Coarse class layer (e.g. NLCD 30 m), the same kind of layer the table will be used with. Any CRS, resolution and alignment; it must cover the labelled area.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="194"/>
        <source>Classes band</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="203"/>
        <source>Minimum pixels per class</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="204"/>
        <source>Class codes covering fewer reference pixels than this are left out of the table (their estimate would be noise); the log lists them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="205"/>
        <source>Composition table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="206"/>
        <source>CSV file for the estimated table p(label | class), usable as COMPOSITION of self-epitomic LSR.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="207"/>
        <source>Class codes in the table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="208"/>
        <source>Labels (columns) in the table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="209"/>
        <source>Pixels counted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/estimatecomposition.py" line="60"/>
        <source>Makes a composition table p(label | class) - the input of self-epitomic label super-resolution - from an area where high-resolution labels are known: for every coarse class code, the share of each label among the reference pixels that fall in that class.
The coarse class layer is resampled onto the reference grid by nearest neighbour (mode when it is finer), never interpolated; both layers may have any CRS. Label code 0 and each layer&apos;s nodata value are ignored. Rasters are read block by block.
Output: a CSV in the format of the COMPOSITION parameter: header &apos;class&apos; followed by the label names, a &apos;colour&apos; row, one row per class code (with at least MIN_PIXELS pixels), and comment lines with the pixel counts. The columns are the label codes 1..M of the reference (M = the largest code seen; codes absent from the area get zeros), so that a label map made with this table uses the reference&apos;s codes. Label names and colours come from the reference&apos;s category names and colour table when it has them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="191"/>
        <source>Band of REFERENCE holding the label codes. Empty: REFERENCE must have a single band (a raster of several bands is refused: it is imagery, not labels, unless a band is chosen here).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="195"/>
        <source>Band of CLASSES holding the class codes. Empty: CLASSES must have a single band.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="196"/>
        <source>Registration of the coarse map (ALIGN)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="197"/>
        <source>Coarse maps rarely sit exactly on the imagery (NLCD comes from Landsat: 10-15 m off is ordinary; old maps are off by tens of metres). Correct (default): the offset of the coarse map is estimated from the data (the shift that makes its classes most consistent with the imagery, within 2 coarse cells) and the map is moved back only when the data support it: the shift beats no shift in 90% of bootstrap replicates, is at least a quarter of a cell, and is not at the edge of the search. A map already in place stays in place. Estimate: the offset is reported (log and outputs) but not applied. Off: nothing is estimated. The offset is where the coarse map lies relative to the imagery (a map moved 15 m east is reported as +15 m east); the correction moves it back by as much. On the command line and in scripts give the index or the name: 0 or off, 1 or estimate, 2 or correct.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="198"/>
        <source>Off: use the coarse map where it lies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="199"/>
        <source>Estimate and report the offset only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="200"/>
        <source>Estimate, and correct the offset when the data support it (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="201"/>
        <source>Largest offset searched (coarse cells)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="202"/>
        <source>The offset is searched within this many coarse cells in each direction (2 = 60 m for 30 m cells). An offset found at the edge of the search is not corrected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="210"/>
        <source>Offset of the coarse map found: metres east</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="211"/>
        <source>Offset of the coarse map found: metres north</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="212"/>
        <source>Uncertainty of the offset (metres, bootstrap standard deviation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="213"/>
        <source>1 when the coarse map was moved back by the offset, 0 otherwise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="214"/>
        <source>Registration of the coarse map: what was found and done</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EvaluateAlgorithm</name>
    <message>
        <location filename="../plugin/processing/evaluate.py" line="70"/>
        <source>Evaluate a label map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="101"/>
        <source>Predicted labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="102"/>
        <source>Label raster to evaluate (codes 1..L, 0 = nodata), e.g. the output of self-epitomic LSR.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="103"/>
        <source>Reference labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="104"/>
        <source>Ground-truth label raster with the same codes; any CRS and resolution.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="105"/>
        <source>Label names (comma separated)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="106"/>
        <source>Names of labels 1..L, e.g. &apos;water,forest,field,built&apos;. Empty: taken from the prediction raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="111"/>
        <source>HTML report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="112"/>
        <source>Report with the summary numbers, per-class table and confusion matrix.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="113"/>
        <source>CSV table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="114"/>
        <source>Per-class metrics and the confusion matrix as CSV.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="115"/>
        <source>Overall accuracy (0-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="116"/>
        <source>Mean IoU (0-1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="117"/>
        <source>Per-class IoU (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="118"/>
        <source>Confusion matrix (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="119"/>
        <source>Pixels compared</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="107"/>
        <source>Coarse classes (optional, for the baselines)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="108"/>
        <source>The coarse class layer the prediction was made from (any CRS and grid). With it, the two label-only baselines are scored too, on the same pixels: naive (argmax p(label | class) of each pixel&apos;s class) and smooth (the blocks&apos; p(label | class) interpolated bilinearly, then argmax), so the report shows what the prediction added.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="109"/>
        <source>Composition table p(label | class) (CSV, for the baselines)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="110"/>
        <source>The composition table the prediction was made with (same CSV rules as self-epitomic LSR; empty: the built-in NLCD table). Used only with CLASSES.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/evaluate.py" line="73"/>
        <source>Compares a predicted label raster with a reference label raster: overall accuracy, per-class intersection over union (IoU), mean IoU over the labels present in the reference, and the confusion matrix (rows = reference, columns = prediction).
The reference is resampled onto the prediction&apos;s grid by nearest neighbour (any CRS). Code 0 (and each raster&apos;s nodata value) is ignored. Label codes are 1..L; names come from LABEL_NAMES, else from the prediction&apos;s category names (as written by Epitome), else &apos;label 1&apos;...
The numbers are algorithm outputs, so they chain in graphical models; an HTML report and a CSV are written too.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/evaluate.py" line="135"/>
        <source>No CLASSES given: the label-only baselines are not scored, so NAIVE_ACCURACY, NAIVE_MEAN_IOU, SMOOTH_ACCURACY and SMOOTH_MEAN_IOU are left out of the results. Give CLASSES (the coarse class layer the prediction was made from) to see what the prediction adds to them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="120"/>
        <source>Naive baseline: overall accuracy (0-1; only with CLASSES)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="121"/>
        <source>Naive baseline: mean IoU (0-1; only with CLASSES)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="122"/>
        <source>Smooth baseline: overall accuracy (0-1; only with CLASSES)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="123"/>
        <source>Smooth baseline: mean IoU (0-1; only with CLASSES)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PredictAlgorithm</name>
    <message>
        <location filename="../plugin/processing/predict.py" line="157"/>
        <source>Predict labels with a trained epitome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/predict.py" line="194"/>
        <source>Epitome prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/predict.py" line="160"/>
        <source>Labels imagery with a trained epitome that carries a label embedding (Malkin, Ortiz, Jojic, ECCV 2020, Eq. 2): the raster is tiled by CENTRE x CENTRE blocks; for each, the PATCH_SIZE patch around it gets a posterior over every window of the epitome, and each pixel&apos;s label distribution is the posterior-weighted mean of the embedded p(label | epitome pixel) it maps to. Cost is linear in the area.
Inputs: a MODEL from epitome:embedlabels or epitome:epitomiclsr, and imagery with its bands. Nodata pixels, and pixels beyond the raster&apos;s edge, drop out of the patch likelihoods; nodata pixels get label 0.
Outputs: labels (styled), optional probabilities, confidence and NOVELTY - how unlike the epitome each patch is, to see where the map should not be trusted. The raster is processed by strips with a fixed patch grid, so the result does not depend on the strip size (no seams).
Needs PyTorch in QGIS&apos;s Python. Runs on the GPU when DEVICE is auto and CUDA is available.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SelfEpitomicLsrAlgorithm</name>
    <message>
        <location filename="../plugin/processing/selfepitomiclsr.py" line="204"/>
        <source>Self-epitomic label super-resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="7"/>
        <source>Imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="8"/>
        <source>High-resolution imagery (e.g. NAIP 1 m, 4 bands). Any band count and data type (uint8, uint16, float).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="9"/>
        <source>Bands (default: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="10"/>
        <source>Imagery bands to use; empty uses every band.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="11"/>
        <source>Coarse classes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="12"/>
        <source>Coarse class layer (e.g. NLCD 30 m). Any CRS, resolution and alignment; codes must be rows of the composition table (NLCD 0 and 255 count as nodata with the built-in table).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="13"/>
        <source>Composition table p(label | class) (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="14"/>
        <source>CSV with a header row &apos;class&apos; followed by the label names (e.g. class,water,forest,field,built) and one row per coarse class code; rows are renormalised. Empty: the built-in table from NLCD codes to water, forest, field, built (Chesapeake region).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="28"/>
        <source>Patch size (working pixels, odd)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="29"/>
        <source>Side K of the square patches compared at the working resolution (odd; 7 = 14 m at 1 m imagery with DOWNSAMPLE 2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="30"/>
        <source>Share of working pixels used as query patches</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="31"/>
        <source>Number of query patches per tile as a share of its working pixels (the paper uses 0.05). Time grows linearly with it; 1 uses every window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="32"/>
        <source>Patch variance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="33"/>
        <source>Fixed variance of every epitome pixel for imagery scaled to [0, 1] (paper: 0.01). Log-likelihoods are divided by the temperature K^2 (K = PATCH_SIZE), so only VARIANCE x K^2 matters: smaller values make patch matching sharper.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="60"/>
        <source>Treat class codes missing from the table as nodata</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="61"/>
        <source>Off: codes absent from the composition table stop the run with a list of them. On: such pixels become nodata (0) in the output.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="64"/>
        <source>Random seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="65"/>
        <source>Seed of the query sampling: the same inputs and seed give identical outputs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="72"/>
        <source>High-resolution labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="73"/>
        <source>Label raster on the imagery grid: codes 1..L in the composition&apos;s column order, 0 = nodata; GeoTIFF with a colour table and a .qml style.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="74"/>
        <source>Label probabilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="75"/>
        <source>Optional: L float32 bands, p(label) per pixel (-1 = nodata).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="76"/>
        <source>Confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="77"/>
        <source>Optional: one float32 band, the largest label probability max_l p(label) (1/L = no idea, 1 = sure; -1 = nodata).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="82"/>
        <source>Tiles processed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="83"/>
        <source>Processing time (s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="84"/>
        <source>Pixels per label (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="85"/>
        <source>Device used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="22"/>
        <source>Processing extent (default: the whole imagery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="23"/>
        <source>Limit the run to this extent (any CRS; e.g. the map canvas extent). The outputs cover the part of the imagery inside it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="24"/>
        <source>Tile size (pixels, empty = about 512 m)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="25"/>
        <source>Side of the square tiles, in imagery pixels; each tile is its own epitome. Empty: about 512 m of ground (512 px at 1 m, 1024 at 0.5 m, 1707 at 0.3 m). Larger tiles see more examples of each class (more accurate; paper: 85.9% at 256, 87.0% at 512, 87.8% at 1024) but cost more time per km2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="26"/>
        <source>Downsampling factor (empty = working pixels of about 2 m)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="27"/>
        <source>Imagery is averaged over DOWNSAMPLE x DOWNSAMPLE blocks before matching patches. Empty: working pixels of about 2 m, as the paper&apos;s 2 for 1 m NAIP (4 at 0.5 m, 7 at 0.3 m). Results are brought back to the full imagery grid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="48"/>
        <source>Label prior that appearance is fused with</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="50"/>
        <source>None: appearance alone (self-epitomic p(label | pixel))</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="51"/>
        <source>Naive prior: the pixel&apos;s own class composition p(label | class)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="52"/>
        <source>Bayes: the pixel&apos;s class composition over the area&apos;s label prior</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="53"/>
        <source>Smooth prior: the blocks&apos; compositions interpolated between block centres (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="56"/>
        <source>Prior weight v</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="57"/>
        <source>Exponent v of the label prior in the fusion (1 by default; 0 = appearance alone).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="58"/>
        <source>No-data class codes (comma-separated)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="59"/>
        <source>Class codes that mean &apos;no data&apos; besides those in the composition table&apos;s &apos;nodata&apos; row and the class layer&apos;s own nodata value (e.g. 0,255 for NLCD); such pixels are 0 in the output.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="86"/>
        <source>Appearance weight w used (-1 = appearance alone)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="88"/>
        <source>Pixels whose label differs from the smooth baseline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="34"/>
        <source>EM iterations (at most)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="35"/>
        <source>Iterations of the label super-resolution EM (Eqs. 7-9); fewer when EM_TOLERANCE is reached.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="36"/>
        <source>EM tolerance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="37"/>
        <source>The EM stops when no pixel&apos;s label probability moved by more than this in 5 iterations (0 = always EM_ITERATIONS).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="38"/>
        <source>Key window stride (working pixels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="39"/>
        <source>Windows of the tile used as the epitome&apos;s keys are this many working pixels apart (1 = every window, the exact dense attention). 2 or 3 divide the attention cost by 4 or 9; queries are still drawn among all windows. The accuracy it costs is measured in docs/BENCHMARKS.md.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="40"/>
        <source>Patch dimensions (PCA; empty = all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="41"/>
        <source>Patches are compared in a basis of this many principal components of the tile&apos;s windows (the window norms stay exact). Empty = the full patch vectors (bands x K x K), exact. 16 keeps the accuracy within a few tenths of a point at a fraction of the cost (docs/BENCHMARKS.md).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="62"/>
        <source>Device (auto, cpu, cuda, cuda:N, mps)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="63"/>
        <source>auto follows the default device of Settings › Options › Epitome (itself auto by default: the first CUDA GPU when PyTorch sees one, else the Apple GPU (mps) of an Apple-silicon Mac, else the CPU). The dialog lists the devices found on this machine; cuda or mps without such a GPU falls back to the CPU with a warning. Every device computes in full 32-bit precision. A GPU that runs out of memory falls back to smaller blocks, then to the CPU, with a warning.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/selfepitomiclsr.py" line="207"/>
        <source>Turns a coarse class layer (e.g. NLCD at 30 m) into a detailed label map on the grid of the imagery (e.g. aerial photos at 1 m), with no training data. Every pixel starts from what its coarse class usually holds (the composition table: for each class, the share of each label) and takes another label only where the imagery clearly says so: where windows that look like it carry that label elsewhere in its tile of about 512 m. The table is treated as a regional average, right on average and wrong in any one place, never as a quota each area must meet.
What it adds is shown, not hidden: the log says which share of pixels appearance changed and for which coarse classes the map departs far from the table (where the table looks locally wrong - look there); TRUST maps the influence of appearance per pixel. Compare with the label-only baselines (the Baselines and Evaluate algorithms of Epitome).
With reference samples (REFERENCE: about 100 labelled points, or polygons, or a label raster) the fusion is chosen by cross-validated accuracy on them, and the accuracy of the result with a 95% interval, and of both baselines, is estimated on the same samples (ESTIMATED_ACCURACY, _LOW, _HIGH); the confidence is calibrated on them too.
Inputs: the class layer may have any CRS, resolution and alignment (resampled onto the imagery grid by nearest neighbour, or mode when finer, never interpolated). Imagery nodata (nodata value, alpha or mask) and class nodata give 0 in the output. uint8 imagery is scaled by 1/255, other types by per-band 0.5-99.5 percentiles.
Outputs: labels 1..L in the column order of the composition table (0 = nodata), a GeoTIFF with a colour table and a .qml style; optional probabilities (L bands), confidence (the largest probability) and TRUST.
Method (for specialists; docs/METHOD.md; Malkin, Ortiz, Jojic, ECCV 2020, self-epitomic LSR - each tile is its own epitome): the tile is downsampled to working pixels of about 2 m; K x K query patches are compared with the tile's windows (a tempered Gaussian likelihood: attention, leave-one-out); a noisy-label mixture EM started from the coarse map's compositions lets a query's label follow the labels of the windows that look like it, with each class's composition re-estimated under a Dirichlet prior centred on the table (TABLE_MODE constraint: the paper's EM, Eqs. 7-9, first makes each class reproduce the table). The result is fused with the smooth label-only prior as p ∝ p_appearance^w x prior. Tiles overlap and are blended, so no seams show.
Needs PyTorch in QGIS's Python. Runs on the GPU when DEVICE is auto and CUDA is available.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="42"/>
        <source>How the composition table is used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="43"/>
        <source>The composition table p(label | class) is an average over a region (NLCD&apos;s is national): right on average, wrong in any one place. Prior (default): every pixel starts from its coarse class&apos;s composition and takes another label only where windows that look like it clearly carry that label elsewhere in the tile. Constraint: the paper&apos;s EM first makes every class of the tile reproduce the table&apos;s label shares, then appearance refines - strong where the table holds locally, harmful where it does not (appearance invents labels to match it). On the command line and in scripts give the index or the name: 0 or prior, 1 or constraint.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="44"/>
        <source>A prior: each pixel starts from its class&apos;s composition and follows clear appearance (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="45"/>
        <source>A constraint: each class reproduces the table&apos;s shares (the paper&apos;s EM, Eqs. 7-9)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="46"/>
        <source>Appearance iterations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="47"/>
        <source>Iterations of the appearance mixture: a pixel&apos;s label moves away from its class&apos;s composition where the windows that look like it (a leave-one-out density over the tile&apos;s windows) carry another label. More iterations let labels spread further through look-alike windows (and errors too). 0 = no appearance (with TABLE_MODE prior: the label-only map; with constraint: the paper&apos;s EM output).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="49"/>
        <source>The final p(label | pixel) is p_appearance^w x prior^v (normalised): appearance is the self-epitomic LSR of the pixel&apos;s tile, the prior comes from the coarse map alone. Smooth (default): each block&apos;s composition p(label | class) interpolated bilinearly between block centres, the stronger of the two label-only baselines near class boundaries. Naive: the pixel&apos;s own class composition. Bayes: the pixel&apos;s composition divided by the area&apos;s label prior. None: appearance alone. Where appearance has no evidence (windows cut by nodata) the prior decides. On the command line and in scripts give the index or the name: 0 or none, 1 or product, 2 or bayes, 3 or smooth.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="54"/>
        <source>Appearance weight w (empty = automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="55"/>
        <source>Exponent w of appearance in the fusion: 0 = the label-only baseline, larger = more trust in the imagery. Empty (default): with REFERENCE samples, chosen by cross-validated accuracy on them among 0, 0.3, 1, 3 and appearance alone, with the smooth or the naive prior; without samples 1, the weight chosen on one group of real cases and checked on the others (docs/BENCHMARKS.md). Give a number to fix it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="66"/>
        <source>Reference samples (optional: points, polygons or a label raster)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="67"/>
        <source>Labelled samples of the area, as analysts collect them: a point or polygon layer with a label field (REFERENCE_FIELD), or a label raster. Labels are the composition&apos;s label codes 1..L or its label names. When given, the fusion (the label prior and the appearance weight) is chosen by cross-validated accuracy on the samples - a setting replaces the default only where the samples clearly prefer it - and the accuracy of the result, with a 95% interval, and of both label-only baselines is estimated on them (ESTIMATED_ACCURACY). About 100 points spread over the area are enough; more give narrower intervals. Never required.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="68"/>
        <source>Label field of the reference samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="69"/>
        <source>The field of REFERENCE that holds each sample&apos;s label (a code 1..L or a label name). Not used for a raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="78"/>
        <source>Influence of appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="79"/>
        <source>Optional: one float32 band, how far appearance moved each pixel&apos;s label distribution away from the coarse map&apos;s (0 = the coarse map alone decided, 1 = appearance overturned it; -1 = nodata). Shows where the imagery was believed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="87"/>
        <source>Label prior used in the fusion (smooth, naive, ...)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="89"/>
        <source>Share of labelled pixels appearance changed (0..1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="90"/>
        <source>Per coarse class: label shares of the result, departure from the table, pixels changed (JSON)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="91"/>
        <source>Estimated accuracy of the result (0..1; with REFERENCE)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="92"/>
        <source>Estimated accuracy: lower end of the 95% interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="93"/>
        <source>Estimated accuracy: upper end of the 95% interval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="94"/>
        <source>Accuracy of the naive baseline on the same samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="95"/>
        <source>Accuracy of the smooth baseline on the same samples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="70"/>
        <source>Dask scheduler (empty = this process)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="71"/>
        <source>Where the tiles run. Empty (default): in this process, as usual. local:N - a Dask cluster of N worker processes on this machine (one per core). tcp://host:8786 - the address of a running Dask scheduler (dask scheduler, then dask worker tcp://host:8786 on each machine, with the plugin and its dependency folder on PYTHONPATH). Workers read the inputs by their paths, so on a cluster the inputs must be on a shared file system or GDAL virtual paths (/vsis3/, /vsicurl/). Finished tiles are kept in a hidden folder beside the output: running the same command again after an interruption resumes. Needs dask and distributed: Install dask and distributed into Epitome&apos;s dependency folder: in QGIS, menu Raster, Epitome, Install or update PyTorch, tick &apos;Also install Dask&apos; (the installer dialog); or make install; or python3 -m pip install --target DEPENDENCY_FOLDER &apos;dask[distributed]==2026.8.0&apos; (docs/SCALING.md). Then restart QGIS. See docs/SCALING.md.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="15"/>
        <source>Registration of the coarse map (ALIGN)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="16"/>
        <source>Coarse maps rarely sit exactly on the imagery (NLCD comes from Landsat: 10-15 m off is ordinary; old maps are off by tens of metres). Correct (default): the offset of the coarse map is estimated from the data (the shift that makes its classes most consistent with the imagery, within 2 coarse cells) and the map is moved back only when the data support it: the shift beats no shift in 90% of bootstrap replicates, is at least a quarter of a cell, and is not at the edge of the search. A map already in place stays in place. Estimate: the offset is reported (log and outputs) but not applied. Off: nothing is estimated. The offset is where the coarse map lies relative to the imagery (a map moved 15 m east is reported as +15 m east); the correction moves it back by as much. On the command line and in scripts give the index or the name: 0 or off, 1 or estimate, 2 or correct.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="17"/>
        <source>Off: use the coarse map where it lies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="18"/>
        <source>Estimate and report the offset only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="19"/>
        <source>Estimate, and correct the offset when the data support it (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="20"/>
        <source>Largest offset searched (coarse cells)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="21"/>
        <source>The offset is searched within this many coarse cells in each direction (2 = 60 m for 30 m cells). An offset found at the edge of the search is not corrected.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="80"/>
        <source>Corrected coarse map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="81"/>
        <source>Optional: the coarse map as the run used it, a GeoTIFF copy with its origin moved back by the offset (the map as given when no correction was made). The offset is where the coarse map lies relative to the imagery (a map moved 15 m east is reported as +15 m east); the correction moves it back by as much.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="96"/>
        <source>Offset of the coarse map found: metres east</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="97"/>
        <source>Offset of the coarse map found: metres north</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="98"/>
        <source>Uncertainty of the offset (metres, bootstrap standard deviation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="99"/>
        <source>1 when the coarse map was moved back by the offset, 0 otherwise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="100"/>
        <source>Registration of the coarse map: what was found and done</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainEpitomeAlgorithm</name>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="176"/>
        <source>Train epitomes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="219"/>
        <source>GUIDE_LABELS: give the guide label codes to sample around (e.g. 4), or leave GUIDE empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="222"/>
        <source>GUIDE_LABELS needs a GUIDE label raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="234"/>
        <source>INIT (continue training) works with CASCADE 0 only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="310"/>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="314"/>
        <source>Finished: {} steps in {:.0f} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="317"/>
        <source>Cancelled: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="320"/>
        <source>Cancelled by the user: the model trained so far is saved to MODEL ({}); give it as INIT to continue. No other output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="326"/>
        <source>Stopped after {} steps: the model so far is saved to MODEL ({}); give it as INIT to continue.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="348"/>
        <source>Epitome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="124"/>
        <source>Imagery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="125"/>
        <source>One or more imagery rasters (e.g. NAIP tiles) with the same number of bands; patches are drawn from each in proportion to its usable area. Any data type (uint8, uint16, float).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="126"/>
        <source>Bands (comma-separated, default: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="127"/>
        <source>Band numbers to train on, comma-separated (e.g. 1,2,3,4); empty uses every band. The same bands are taken from every imagery raster.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="128"/>
        <source>Extent (default: whole rasters)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="129"/>
        <source>Sample only inside this extent (any CRS: it is transformed into the CRS of the first imagery raster). Rasters outside it are skipped.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="130"/>
        <source>Guide labels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="131"/>
        <source>Optional label raster (any CRS, resolution and alignment; resampled by nearest neighbour onto each imagery grid). With GUIDE_LABELS, only patches containing at least one pixel of those labels are sampled - e.g. an epitome of built-up texture.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="132"/>
        <source>Guide label codes (comma-separated)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="133"/>
        <source>Codes of the GUIDE raster to sample around, comma-separated (e.g. 4 or 21,22,23,24). Required when GUIDE is given.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="134"/>
        <source>Epitome size N (pixels)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="135"/>
        <source>Side N of each square epitome. Prefer FFT-friendly sizes: 256, 300, 384, 400, 480, 500, 512 (the paper uses 499). Time and memory grow with N^2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="136"/>
        <source>Epitomes in the mixture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="137"/>
        <source>Number E of epitomes trained jointly as one mixture (the prior is normalised over all of them). With CASCADE 2 the model keeps 2 x COUNT epitomes (E1 and E2).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="138"/>
        <source>Smallest patch size K (odd)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="139"/>
        <source>Smallest side K of the random training patches, in imagery pixels; must be odd (paper: 11).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="140"/>
        <source>Largest patch size K (odd)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="141"/>
        <source>Largest side K of the random training patches; odd, at least PATCH_MIN and at most SIZE (paper: 31). K is drawn per batch among the odd sizes PATCH_MIN..PATCH_MAX.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="142"/>
        <source>Training steps</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="144"/>
        <source>Patches per step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="145"/>
        <source>Random patches per mini-batch. Larger batches give smoother training and better GPU use but need more memory (batch x epitome pixels x COUNT values per step).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="146"/>
        <source>Learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="147"/>
        <source>Adam step size for means, log-variances and prior logits (data scaled to [0, 1]).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="148"/>
        <source>Temperature (empty or 0: (K/11)^2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="149"/>
        <source>Patch log-likelihoods are divided by this temperature before the posterior over windows is taken; higher values spread each patch over more windows. Empty or 0 uses (K/11)^2 for patches of side K, the reference implementation&apos;s choice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="150"/>
        <source>Location promotion c (0 = off)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="152"/>
        <source>Promotion reset share delta</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="153"/>
        <source>The promotion counters reset when more than (1 - delta) of all windows are masked (delta in (0, 1)).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="154"/>
        <source>Diversify: worst-modelled share (0 = off)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="155"/>
        <source>Only this share of each batch - the patches the model explains worst - is optimised (paper: 0.25, the worst quarter). 0 optimises every patch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="156"/>
        <source>Cascade (0 or 2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="157"/>
        <source>0: one self-diversifying model. 2: the paper's cascade E0 → E1 → E2 (E1 trained on the patches E0 models worst, E2 on those E1 models worst), keeping E1 and E2 as a uniform mixture; 3 x STEPS steps. 1 is not a valid value.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="160"/>
        <source>Random seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="161"/>
        <source>Seed of initialisation and patch sampling: the same inputs and seed give identical models on the CPU (GPU results may differ in the last bits).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="162"/>
        <source>Continue from model (.epitome)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="163"/>
        <source>A model file from an earlier run (e.g. a cancelled one) to continue training from; its SIZE, COUNT, bands and scaling are kept. Works with CASCADE 0 only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="164"/>
        <source>Likelihood backend</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="166"/>
        <source>auto (FFT on the CPU for patches of 9 px or more, else convolution)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="167"/>
        <source>conv: direct convolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="168"/>
        <source>fft: FFT correlation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="169"/>
        <source>unfold: explicit windows (small epitomes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="174"/>
        <source>Epitome model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="175"/>
        <source>The trained model (.epitome: means, variances, prior, usage, band scaling, settings and history). Written atomically; on cancel it holds the model trained so far (settings &apos;complete&apos;: false).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="176"/>
        <source>Epitome image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="178"/>
        <source>Training report (CSV)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="180"/>
        <source>Training report (PNG)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="182"/>
        <source>Steps trained by this run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="183"/>
        <source>Training time (s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="184"/>
        <source>Patches per second</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="185"/>
        <source>Final loss (nats per value)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="186"/>
        <source>Final worst-quartile loss (nats per value)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="187"/>
        <source>Device used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="143"/>
        <source>Number of mini-batch steps (per stage: CASCADE 2 runs 3 x STEPS). Time grows linearly: the default 1000 steps of 256 patches took 14 min on a 2-core CPU for SIZE 256. The epitome starts as random crops of the imagery, so a few hundred steps already give a usable model (docs/BENCHMARKS_EPITOME.md: SIZE 128, 400 steps); continue a model with INIT to train it further.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="151"/>
        <source>Location promotion constant c in [0, 1): a window takes part in the likelihood only while its share of the training patches counted since the last reset is below c times the uniform share (1 / number of windows), so over-used windows rest and unused parts of the epitome get patches (paper, section 3). Smaller c promotes more strongly (only the least-used windows stay open); 0 turns promotion off. Counters count each patch&apos;s most likely window (a hard posterior: with soft posteriors, the flat posteriors of early training give every window the uniform share and mask them all at once). All counters reset when more than (1 - PROMOTION_RESET) of the windows are masked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="177"/>
        <source>GeoTIFF (no CRS) to look at the epitome. Bands, for C imagery bands: 1..C the means and C+1..2C the variances, both in the imagery&apos;s own units (the units of its pixel values: a uint8 band&apos;s means are 0..255 and its variances in squared 0..255 units), so that a pixel value x has the Gaussian likelihood N(x; mean, variance) as in the model; 2C+1 the log prior (log p(window), normalised over all epitomes), 2C+2 the usage (share of training samples whose most likely window covers the pixel). Several epitomes are stacked vertically (N rows each).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="179"/>
        <source>Optional CSV, one row per step: step, loss and worst_loss (the mean loss of the worst-modelled quarter of the batch), both in nats per value (lower is better), share of windows used as a best window in the batch, seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="181"/>
        <source>Optional plot of the loss, the worst-quarter loss (worst_loss) and the usage per step.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="326"/>
        <source>Written for that model too: {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="158"/>
        <source>Device (auto, cpu, cuda, cuda:N, mps)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="159"/>
        <source>auto follows the default device of Settings › Options › Epitome (itself auto by default: the first CUDA GPU when PyTorch sees one, else the Apple GPU (mps) of an Apple-silicon Mac, else the CPU). The dialog lists the devices found on this machine; cuda or mps without such a GPU falls back to the CPU with a warning. Every device computes in full 32-bit precision.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../plugin/processing/trainepitome.py" line="179"/>
        <source>Learns an epitome from imagery: a small picture (SIZE x SIZE pixels) that holds the textures of a large area - tree crowns, fields, roofs, water - so that any small patch of the imagery looks like some part of it. Once labels are put into it (Embed labels), it labels new imagery quickly (Predict labels).
What to give: one or more imagery rasters with the same bands; optionally an EXTENT, or a GUIDE label raster with GUIDE_LABELS to learn only the textures around those labels (e.g. buildings). STEPS sets how long it learns: a few hundred give a usable model, and a model can be trained further later (INIT). Follow it live in the training monitor (menu Raster, Epitome, Training monitor).
What you get: the model file (.epitome, for the other Epitome algorithms and as INIT to continue), an EPITOME_IMAGE to look at, and a training report (CSV, PNG). Cancel saves the model trained so far to MODEL (give it as INIT to go on) and writes nothing else; Stop in the training monitor ends the run normally and also writes EPITOME_IMAGE and the reports of that model.
Method (for specialists; Malkin, Ortiz, Jojic, ECCV 2020, section 3): each epitome pixel has a mean, a variance and a prior; training is stochastic gradient descent (Adam) on mini-batches of BATCH_SIZE random K x K patches (K odd, drawn per batch in PATCH_MIN..PATCH_MAX), with location promotion (windows that explained many patches rest for a while, so no part of the epitome dies) and diversification (only the worst-modelled share of each batch is optimised, so rare textures get room). CASCADE 2 trains E0, then E1 on the patches E0 models worst, then E2 on those E1 models worst, and keeps E1 and E2 as a uniform mixture (3 x STEPS steps in all). Data: uint8 is scaled by 1/255, other types by per-band 0.5-99.5 percentiles of the first raster; nodata pixels are never sampled; GUIDE any CRS / grid, nearest neighbour.
Needs PyTorch in QGIS&apos;s Python. Runs on the GPU when DEVICE is auto and one is available.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="165"/>
        <source>How patch likelihoods over all epitome windows are computed. auto picks the fastest for the device and patch size; the others give the same numbers within float precision. On the command line and in scripts give the index or the name: 0 or auto, 1 or conv, 2 or fft, 3 or unfold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="170"/>
        <source>Training ranks (processes or GPUs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="171"/>
        <source>Data-parallel training over this many ranks: each rank draws BATCH_SIZE / RANKS patches a step, gradients and location-promotion counts are summed over the ranks, so a step sees BATCH_SIZE patches as with one rank and the model is as good. Ranks are processes on this machine (SCHEDULER empty; with DEVICE cuda each takes its own GPU) or one per Dask worker (SCHEDULER set). 1 trains in this process. BATCH_SIZE must be a multiple of RANKS. See docs/SCALING.md, Training on several processes or GPUs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="172"/>
        <source>Dask cluster for the ranks (empty: local processes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../build/i18n/declared_strings.py" line="173"/>
        <source>Where the RANKS run: empty (run in this process), &quot;local:N&quot; (N worker processes on this machine) or the address of a running Dask scheduler such as &quot;tcp://10.0.0.5:8786&quot;. With a cluster, one rank runs on each of RANKS workers, which must read the imagery (and INIT) at the same paths; the model comes back to this machine.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>alg</name>
    <message>
        <location filename="../plugin/processing/align_param.py" line="72"/>
        <source>{} aligned</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
