# The tsgluon native backend (native/src). The float kernels are compiled three times, once per
# instruction set, in separate static libraries so each gets its own -m flags; the addon picks one
# at load time from CPUID. No -march=native: one build runs on any x86-64 (and, with only the
# generic kernels, on other architectures).
#
# tsgluon_mpi, the optional MPI addon of src/dist/, exists only with -Dtsgluon_mpi=1, which
# scripts/build-mpi.mjs passes where it finds mpi.h; it links the system's Open MPI, so it is always
# compiled on the machine that runs it.
{
  'variables': { 'tsgluon_mpi%': 0 },
  'target_defaults': {
    'cflags_cc': ['-std=gnu++17', '-O3', '-fPIC', '-fno-math-errno', '-ffp-contract=off', '-fno-trapping-math', '-Wall', '-Wno-unused-function'],
    'cflags_cc!': ['-fno-exceptions', '-O2', '-Os'],
    'cflags!': ['-O2', '-Os'],
    'defines': ['NAPI_DISABLE_CPP_EXCEPTIONS'],
    'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
  },
  'targets': [
    {
      'target_name': 'tsgluon_avx512',
      'type': 'static_library',
      'sources': ['native/src/isa-avx512.cc'],
      'conditions': [
        ['target_arch=="x64"', {
          'cflags_cc': ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma',
                        '-mprefer-vector-width=512'],
        }],
      ],
    },
    {
      'target_name': 'tsgluon_avx2',
      'type': 'static_library',
      'sources': ['native/src/isa-avx2.cc'],
      'conditions': [
        ['target_arch=="x64"', { 'cflags_cc': ['-mavx2', '-mfma'] }],
      ],
    },
    {
      'target_name': 'tsgluon',
      'dependencies': ['tsgluon_avx512', 'tsgluon_avx2'],
      'sources': [
        'native/src/addon.cc',
        'native/src/pool.cc',
        'native/src/runtime.cc',
        'native/src/movement.cc',
        'native/src/window.cc',
        'native/src/clip.cc',
        'native/src/isa-generic.cc',
      ],
      'libraries': ['-lpthread'],
    },
  ],
  'conditions': [
    ['tsgluon_mpi==1', {
      'targets': [
        {
          'target_name': 'tsgluon_mpi',
          'sources': ['native/src/dist/addon.cc', 'native/src/dist/comm.cc', 'native/src/dist/shm.cc'],
          'defines': ['OMPI_SKIP_MPICXX', 'MPICH_SKIP_MPICXX'],
          'cflags_cc': ['<!@(node scripts/build-mpi.mjs --cflags)'],
          'libraries': ['<!@(node scripts/build-mpi.mjs --libs)', '-lpthread'],
        },
      ],
    }],
  ],
}
