{
  "targets": [
    {
      "target_name": "bond_io_apple",
      "sources": ["bond_io_apple.c", "core/bond_io_core.c"],
      "include_dirs": ["core"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        [
          "OS=='mac'",
          {
            "sources": ["msgx-darwin.c"],
            "defines": ["BOND_MSGX_SHIM=0"],
            "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"] }
          }
        ],
        [
          "OS=='linux'",
          {
            "sources": ["msgx-shim-linux.c"],
            "defines": ["BOND_MSGX_SHIM=1"],
            "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"]
          }
        ]
      ]
    }
  ]
}
