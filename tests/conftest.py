import sys
from pathlib import Path

# Make tests/seeds.py importable as `seeds` from every test directory.
sys.path.insert(0, str(Path(__file__).parent))
