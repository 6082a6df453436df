// FFTW 3, single precision (fftwf_*), from Debian's libfftw3-dev.
#include <fftw3.h>
