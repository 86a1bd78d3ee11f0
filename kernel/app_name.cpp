// Compiled once per app with -DXENOS_APP_NAME="..." so argv[0] names the app.
extern "C" const char xenos_app_name[] = XENOS_APP_NAME;
