/* Built outside the xenos tree with xenos-cc: two translation units, compiled with -c. */
#pragma once
int greet(const char* whom, char* out, int size);
