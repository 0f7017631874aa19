/* limits.h - the documented limits of a trace and of the model's fixed pools.
 *
 * The model never allocates per operation: every pool below is sized here,
 * and a trace that goes past one gets a clear error naming the limit.
 */
#ifndef TERNRIG_LIMITS_H
#define TERNRIG_LIMITS_H

#define MAX_TASK_NAMES 64   /* tasks (threads, processes, kthreads) a trace names  */
#define MAX_FILE_NAMES 64   /* distinct file names a trace creates            */
#define MAX_FD_NAMES 256    /* distinct fd names a trace uses                 */
#define MAX_FDS 256         /* fds bound in one fd table at once              */
#define MAX_STEPS 4096      /* statements (including expects) in one trace    */
#define MAX_ORDER_NAMES 128 /* names in all `order` lists of one trace (each
                               thread dies once: a valid trace needs at most
                               MAX_TASK_NAMES)                                */
#define MAX_NAME_LEN 16     /* [a-z][a-z0-9_]{0,15}                            */
#define MAX_WRITE 1048576   /* bytes in one write                              */
#define MAX_EVENTS 65536    /* events in one history                          */
#define MAX_FINDINGS 512    /* findings the oracle keeps for one history      */

#endif
