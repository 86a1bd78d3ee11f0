// threadtest's part on the C++ standard library's threads (std_threads.cpp).
#pragma once
void run_std_thread_tests();
