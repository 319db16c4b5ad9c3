{
  "targets": [
    {
      "target_name": "bond_io_linux",
      "sources": ["bond_io_linux.c", "core/bond_io_core.c"],
      "include_dirs": ["core"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
