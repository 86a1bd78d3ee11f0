/* The namespace from C: Plan 9's bind(2), mount(2) and unmount(2), named xenos_* so that they
 * do not clash with the socket bind() and Linux's mount(). Paths may be relative to the
 * working directory. Return 0, or -1 with errno set. */
#ifndef XENOS_NAMESPACE_H
#define XENOS_NAMESPACE_H

#ifdef __cplusplus
extern "C" {
#endif

#define MREPL 0x0000   /* replace what is at old */
#define MBEFORE 0x0001 /* add to the front of the union at old */
#define MAFTER 0x0002  /* add to the end of the union at old */
#define MCREATE 0x0004 /* creates in the union go here */

int xenos_bind(const char* new_path, const char* old_path, int flags);
/* Mounts the 9pfs share `tag` (xl's p9=['tag=...']) at old_path; "tag|other" fails over to
 * the share `other` (the same tree from another backend) when tag's backend is gone. */
int xenos_mount(const char* tag, const char* old_path, int flags);
/* Removes what new_path put at old_path; new_path NULL removes everything there. */
int xenos_unmount(const char* new_path, const char* old_path);

#ifdef __cplusplus
}
#endif
#endif
