# Sourced by scripts/gpu_*.sh on the device machine: install the carried wheels (packages its image lacks, such
# as tree-sitter and GitPython) into a private folder and point Python at them and at this checkout.
# Needs D (the carried folder, with whl/) and PY (the interpreter).
if compgen -G "$D/whl/*.whl" > /dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/testtailor-site \
    "$D"/whl/*.whl
  export PYTHONPATH=/tmp/testtailor-site:$PWD
else
  export PYTHONPATH=$PWD
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
