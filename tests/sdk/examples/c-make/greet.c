#include "greet.h"
#include <stdio.h>

int greet(const char* whom, char* out, int size) { return snprintf(out, size, "hello, %s", whom); }
