// Built outside the xenos tree: libstdc++ containers and strings across translation units.
#pragma once
#include <map>
#include <string>

std::map<std::string, int> count_words(const std::string& text);
