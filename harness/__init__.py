"""Local-first harness: runs the pipeline offline on a local AWS engine plus a Batch stand-in."""
