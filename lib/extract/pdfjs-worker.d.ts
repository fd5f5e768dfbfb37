// pdf.js ships no types for its worker module; kite only hands it to pdf.js (lib/extract/raster.ts).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs';
